import { type Address, getAddress, type Hex } from 'viem'
import type { DecodedCall } from '../../src/model/decoded.js'
import type { GovernanceFacts } from '../../src/model/governance.js'
import type { AddressBookEntry, Guard, GuardContext, TokenInfo } from '../../src/model/guard.js'
import type { Call, Proposal } from '../../src/model/proposal.js'
import type { Simulation, SimulationResult } from '../../src/model/simulation.js'
import { runGuards } from '../../src/score/run-guards.js'
import { BUILTIN_ABIS } from '../../src/verify/abis.js'
import { decodeCallTree } from '../../src/verify/decode.js'
import { createFunctionRegistry } from '../../src/verify/function-registry.js'
import { simulation } from './build.js'

// Mainnet addresses, so findings read like the real thing (Compound's governance and COMP, USDC); the
// grantee and the attacker are made up.
export const GOVERNOR: Address = getAddress('0xc0da02939e1441f497fd74f78ce7decb17b66529')
export const TIMELOCK: Address = getAddress('0x6d903f6003cca6255d85cca4d3b5e5146dc33925')
export const COMP: Address = getAddress('0xc00e94cb662c3520282e6f5717214004a7f26888')
export const USDC: Address = getAddress('0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48')
export const GRANTEE: Address = getAddress('0x9aa835bc7b8ce13b9b0c9764a52fbf71ac62ccf1')
export const ATTACKER: Address = getAddress('0x092123663804f8801b9b086b03b98d706f77bd59')
export const TOKENS: TokenInfo[] = [
  { address: USDC, symbol: 'USDC', decimals: 6 },
  { address: COMP, symbol: 'COMP', decimals: 18 },
]

/** Runtime code of the lab's BenignProposal (src/lab/governance/Metamorphic.sol, solc 0.8.30): the Tornado
 * Cash proposal shape, a harmless execute() and a hidden destroy() with SELFDESTRUCT (byte 0x221). Its
 * metadata hash holds a 0xff byte too, which is data. */
export const BENIGN_PROPOSAL_RUNTIME: Hex =
  ('0x608060405260043610610033575f3560e01c8063614619541461003757806366d003ac1461004157806383197ef01461' +
    '0090575b5f5ffd5b61003f6100a4565b005b34801561004c575f5ffd5b506100747f0000000000000000000000000000' +
    '00000000000000000000000000000000000081565b6040516001600160a01b03909116815260200160405180910390f3' +
    '5b34801561009b575f5ffd5b5061003f6101a7565b60405134815233907f6f6c6d78a4851d4c222c8404fc92372ee84b' +
    '7b81054305ae8ea3c83c2dabd42e9060200160405180910390a234156101a5575f7f0000000000000000000000000000' +
    '0000000000000000000000000000000000006001600160a01b0316346040515f6040518083038185875af1925050503d' +
    '805f8114610148576040519150601f19603f3d011682016040523d82523d5f602084013e61014d565b606091505b5050' +
    '9050806101a35760405162461bcd60e51b815260206004820152601f60248201527f42656e69676e50726f706f73616c' +
    '3a207472616e73666572206661696c65640060448201526064015b60405180910390fd5b505b565b336001600160a01b' +
    '037f0000000000000000000000000000000000000000000000000000000000000000161461021f5760405162461bcd60' +
    'e51b815260206004820152601c60248201527f42656e69676e50726f706f73616c3a206e6f74206465706c6f79657200' +
    '000000604482015260640161019a565b33fffea264697066735822122095c315ae8048624fde2e88c831d7408a76590a' +
    '8ba62a478ff829abdc3a2baf6464736f6c634300081e0033') as Hex

/** An EIP-1167 minimal proxy to an implementation whose address holds 0xff bytes (PUSH20 data). */
export const CLONE_RUNTIME: Hex =
  '0x363d3d373d3d3d363d73ff00ff00ff00ff00ff00ff00ff00ff00ff00ff005af43d82803e903d91602b57fd5bf3'

const registry = createFunctionRegistry(Object.entries(BUILTIN_ABIS).map(([name, abi]) => ({ name, abi })))

export type GovernanceCase<Options> = {
  calls?: Array<Partial<Call> & { to: Address }>
  /** A simulation (quiet success by default), a failed one, or none (`undefined`). */
  simulation?: Partial<Simulation> | SimulationResult
  /** Facts over the defaults below; `null` for a proposal with no governance facts at all. */
  facts?: Partial<GovernanceFacts> | null
  options?: Options
  addressBook?: AddressBookEntry[]
  tokens?: TokenInfo[]
  kind?: 'governor' | 'timelock'
}

/** The facts of a Compound-like proposal: a Bravo governor whose timelock runs the calls. */
export const facts = (fields: Partial<GovernanceFacts> = {}): GovernanceFacts => ({
  flavor: 'bravo',
  governor: GOVERNOR,
  timelock: TIMELOCK,
  executor: TIMELOCK,
  createdBlock: 20_000_000n,
  params: {},
  code: [],
  treasury: [],
  problems: [],
  ...fields,
})

/**
 * A GuardContext for a governance proposal, shaped as the pipeline builds it: the root of the decoded
 * tree is synthetic and each proposal call, decoded from raw bytes, is one of its children, sent by
 * the executor.
 */
export function governanceContext<Options>(c: GovernanceCase<Options> = {}): GuardContext<Options> {
  const f = c.facts === null ? undefined : facts(c.facts)
  const executor = f?.executor ?? TIMELOCK
  const calls: Call[] = (c.calls ?? []).map((k) => ({ value: 0n, data: '0x', operation: 'call', ...k }))
  const kind = c.kind ?? 'governor'
  const proposal: Proposal = {
    id: kind === 'governor' ? `1:governor:${GOVERNOR}:289` : `1:timelock:${TIMELOCK}:0x01`,
    chainId: 1,
    origin:
      kind === 'governor'
        ? {
            kind,
            governor: GOVERNOR,
            proposalId: 289n,
            flavor: 'bravo',
            description: 'Proposal 289',
            createdBlock: 1n,
            voteEnd: 2n,
          }
        : {
            kind,
            timelock: TIMELOCK,
            operationId: `0x${'01'.repeat(32)}`,
            eta: 1_700_000_000n,
            createdBlock: 1n,
          },
    executor,
    calls,
    claimed: {},
  }
  const root: DecodedCall = {
    path: '0',
    from: executor,
    to: f?.governor ?? executor,
    value: 0n,
    data: '0x',
    operation: 0,
    calls: calls.map((k, i) =>
      repath(
        decodeCallTree(
          {
            from: executor,
            to: k.to,
            value: k.value,
            data: k.data,
            operation: k.operation === 'call' ? 0 : 1,
          },
          registry,
        ),
        `0.${i}`,
      ),
    ),
  }
  const sim: SimulationResult | undefined =
    c.simulation === undefined
      ? undefined
      : 'ok' in c.simulation && typeof c.simulation.ok === 'boolean'
        ? (c.simulation as SimulationResult)
        : { ok: true, simulation: simulation({ from: executor, safeChanges: [], ...c.simulation }) }
  return {
    proposal,
    verification: { call: root, signatures: [], claims: [], official: new Map() },
    addressBook: c.addressBook ?? [],
    tokens: c.tokens ?? TOKENS,
    ...(sim ? { simulation: sim } : {}),
    sameNonce: [],
    ...(f ? { governance: f } : {}),
    options: (c.options ?? {}) as Options,
  }
}

const repath = (node: DecodedCall, path: string): DecodedCall => ({
  ...node,
  path,
  ...(node.calls ? { calls: node.calls.map((child, i) => repath(child, `${path}.${i}`)) } : {}),
})

/** Runs one guard as the pipeline does (options parsed, applicability checked, errors fail closed). */
export async function findings<Options>(guard: Guard, c: GovernanceCase<Options>) {
  const { options, ...ctx } = governanceContext(c)
  const found = await runGuards([{ guard, options: guard.options.parse(options) }], ctx, { timeoutMs: 2000 })
  return found
}

/** `guard/code:severity` for each finding, as the other guard tests assert them. */
export const codes = async <Options>(guard: Guard, c: GovernanceCase<Options>) =>
  (await findings(guard, c)).map((f) => `${f.guard}/${f.code}:${f.severity}`)
