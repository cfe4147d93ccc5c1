import {
  type Address,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  type Hash,
  type Hex,
  keccak256,
  numberToHex,
  pad,
  parseAbi,
  toHex,
} from 'viem'
import { remoteError } from '../model/errors.js'
import { GOVERNOR_VIEWS } from '../model/governance-abi.js'
import type { Simulation } from '../model/simulation.js'
import { parsePrestateDiff, type RawPrestateDiff } from './diff.js'
import type { Endpoint } from './endpoint.js'
import { ForkTaintedError } from './fork.js'
import type { GovernanceSimInput } from './governance.js'
import { effectsOf } from './outcome.js'
import { StaleForkError } from './safe.js'
import { flattenTrace, parseTrace, type RawFrame } from './trace.js'

// A governor function behind `onlyGovernance` runs only inside the governor's own execution
// (with a timelock, the governor records the call before the timelock makes it). So for an
// OpenZeppelin governor whose proposal calls the governor itself, the proposal is run through
// its real lifecycle on the fork: a copy of it is proposed by an account given enough votes,
// voted for, queued, left to ripen, and executed; the execution is traced, and the fork is put
// back as it was. The copy has the same calls; only its description differs.

const governorAbi = [
  ...GOVERNOR_VIEWS,
  ...parseAbi([
    'function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) returns (uint256)',
    'function castVote(uint256 proposalId, uint8 support) returns (uint256)',
    'function queue(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) returns (uint256)',
    'function execute(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) payable returns (uint256)',
  ]),
] as const
const tokenAbi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function delegate(address delegatee)',
])
/** The account that proposes and votes the copy (given the votes it needs). */
export const LIFECYCLE_VOTER: Address = '0x00000000000000000000000000000000c0570502'
/** OpenZeppelin 5's ERC-7201 namespace of ERC20 (upgradeable), whose first field is the balances. */
const OZ_ERC20_NAMESPACE = '0x52c63247e1f47db19d5ce0460030c497f067ca4cebf71ba98eeadabe20bace00'

export async function simulateGovernorLifecycle(
  ep: Endpoint,
  input: GovernanceSimInput & { governor: Address; description: string },
): Promise<Simulation> {
  const started = performance.now()
  const call = async <T>(
    to: Address,
    abi: typeof governorAbi | typeof tokenAbi,
    functionName: string,
    args: unknown[] = [],
  ) => {
    const data = encodeFunctionData({ abi, functionName, args } as never)
    const out = await ep.request<Hex>('eth_call', [{ to, data }, 'latest'])
    return decodeFunctionResult({ abi, functionName, data: out } as never) as T
  }
  const send = async (
    to: Address,
    abi: typeof governorAbi | typeof tokenAbi,
    functionName: string,
    args: unknown[],
  ) => {
    const data = encodeFunctionData({ abi, functionName, args } as never)
    const hash = await ep.request<Hash>('eth_sendTransaction', [
      { from: LIFECYCLE_VOTER, to, data, gas: numberToHex(15_000_000n) },
    ])
    let receipt: { status: Hex } | null = null
    for (let i = 0; i < 200 && !receipt; i++) {
      receipt = await ep.request<{ status: Hex } | null>('eth_getTransactionReceipt', [hash])
      if (!receipt) {
        // Not mined yet (a fork whose base fee or gas limit held it back): mine it.
        await ep.request('anvil_mine', ['0x1'])
      }
    }
    if (receipt?.status === '0x1') return { hash, ok: true, reason: '' }
    // Why it reverted: the same call again, whose error carries the reason.
    const reason = await ep.request('eth_call', [{ from: LIFECYCLE_VOTER, to, data }, 'latest']).then(
      () => 'no reason given',
      (e: Error) => e.message,
    )
    return { hash, ok: false, reason }
  }
  const head = BigInt(await ep.request<Hex>('eth_blockNumber', []))
  if (input.minBlock !== undefined && head < input.minBlock)
    throw new StaleForkError(`the fork is at block ${head}, before the proposal`)
  const snapshot = await ep.request<Hex>('evm_snapshot', [])
  try {
    const token = await call<Address>(input.governor, governorAbi, 'token')
    const timestampClock = (
      await call<string>(input.governor, governorAbi, 'CLOCK_MODE').catch(() => '')
    ).includes('timestamp')
    await ep.request('anvil_impersonateAccount', [LIFECYCLE_VOTER])
    await ep.request('anvil_setBalance', [LIFECYCLE_VOTER, numberToHex(10n ** 21n)])
    // Votes: twice the supply in the voter's balance (found by probing where the token keeps
    // balances), then delegated to itself: more than any quorum, above any threshold.
    const supply = await call<bigint>(token, tokenAbi, 'totalSupply')
    await deal(ep, token, LIFECYCLE_VOTER, supply * 2n + 1n, (a) =>
      call<bigint>(token, tokenAbi, 'balanceOf', [a]),
    )
    const delegated = await send(token, tokenAbi, 'delegate', [LIFECYCLE_VOTER])
    if (!delegated.ok)
      throw remoteError(
        `the governance token refused delegate() (${delegated.reason}): cannot give the simulated voter votes`,
        { retryable: false },
      )
    await ep.request('anvil_mine', ['0x2'])

    const targets = input.calls.map((c) => c.to)
    const values = input.calls.map((c) => c.value)
    const calldatas = input.calls.map((c) => c.data)
    const description = `${input.description}\n\n[custos simulation ${Date.now()}]`
    const descriptionHash = keccak256(toHex(description))
    const args = [targets, values, calldatas, descriptionHash]
    if (!(await send(input.governor, governorAbi, 'propose', [targets, values, calldatas, description])).ok)
      throw remoteError('propose() of the copy reverted on the fork', { retryable: false })
    const id = await call<bigint>(input.governor, governorAbi, 'hashProposal', args)
    const advanceTo = async (point: bigint) => {
      if (timestampClock) {
        const now = BigInt(
          (await ep.request<{ timestamp: Hex }>('eth_getBlockByNumber', ['latest', false])).timestamp,
        )
        if (point > now) await ep.request('evm_setNextBlockTimestamp', [numberToHex(point)])
        await ep.request('anvil_mine', ['0x1'])
      } else {
        const now = BigInt(await ep.request<Hex>('eth_blockNumber', []))
        if (point > now) await ep.request('anvil_mine', [numberToHex(point - now)])
      }
    }
    await advanceTo((await call<bigint>(input.governor, governorAbi, 'proposalSnapshot', [id])) + 1n)
    if (!(await send(input.governor, governorAbi, 'castVote', [id, 1])).ok)
      throw remoteError('castVote() on the copy reverted on the fork', { retryable: false })
    await advanceTo((await call<bigint>(input.governor, governorAbi, 'proposalDeadline', [id])) + 1n)
    const needsQueue = await call<boolean>(input.governor, governorAbi, 'proposalNeedsQueuing', [id]).catch(
      () => false,
    )
    if (needsQueue) {
      if (!(await send(input.governor, governorAbi, 'queue', args)).ok)
        throw remoteError('queue() of the copy reverted on the fork', { retryable: false })
      const eta = await call<bigint>(input.governor, governorAbi, 'proposalEta', [id])
      const now = BigInt(
        (await ep.request<{ timestamp: Hex }>('eth_getBlockByNumber', ['latest', false])).timestamp,
      )
      if (eta >= now) await ep.request('evm_setNextBlockTimestamp', [numberToHex(eta + 1n)])
      await ep.request('anvil_mine', ['0x1'])
    }
    const executed = await send(input.governor, governorAbi, 'execute', args)
    const block = await ep.request<{ number: Hex }>('eth_getBlockByNumber', ['latest', false])
    const [rawTrace, rawDiff] = await Promise.all([
      ep.request<RawFrame>('debug_traceTransaction', [
        executed.hash,
        { tracer: 'callTracer', tracerConfig: { withLog: true } },
      ]),
      ep.request<RawPrestateDiff>('debug_traceTransaction', [
        executed.hash,
        { tracer: 'prestateTracer', tracerConfig: { diffMode: true } },
      ]),
    ])
    const { trace, logs } = parseTrace(rawTrace, input.registry)
    // The simulated voter's gas and nonce are the simulation's, not the proposal's.
    const storageDiff = parsePrestateDiff(rawDiff).filter((d) => d.address !== LIFECYCLE_VOTER)
    const effects = await effectsOf(trace, logs, storageDiff, {
      ep,
      tokens: input.tokens,
      chainId: input.chainId,
      block: block.number,
    })
    const sim: Simulation = {
      mode: ep.mode,
      block: BigInt(block.number),
      from: input.executor,
      success: executed.ok,
      gasUsed: trace.gasUsed,
      trace,
      logs,
      safeChanges: [],
      nestedSafeChanges: [],
      ...effects,
      // The simulated voter's gas is the simulation's, not the proposal's.
      assetChanges: effects.assetChanges.filter((c) => c.from !== LIFECYCLE_VOTER),
      storageDiff,
      durationMs: 0,
    }
    if (!executed.ok) {
      const deepest = flattenTrace(trace)
        .filter((f) => f.error !== undefined)
        .at(-1)
      sim.revertReason = `the proposal's execution reverts: ${deepest?.error ?? trace.error ?? 'no reason given'}`
    }
    sim.durationMs = Math.round(performance.now() - started)
    return sim
  } finally {
    // Undone by the revert below if this fails (and a fork that cannot revert is replaced).
    await ep.request('anvil_stopImpersonatingAccount', [LIFECYCLE_VOTER]).catch(() => undefined)
    // The fork must be exactly as before: time, balances, the copy's effects. If it cannot be
    // reverted, it is replaced rather than trusted.
    const reverted = await ep.request<boolean>('evm_revert', [snapshot]).catch(() => false)
    if (reverted !== true)
      // biome-ignore lint/correctness/noUnsafeFinally: whatever the run returned, a fork that could not be put back must not serve another simulation
      throw new ForkTaintedError('the fork could not be reverted after the lifecycle simulation')
  }
}

/**
 * Sets `holder`'s token balance to `amount` by writing the balances mapping: the slot is found
 * by trying the usual layouts (slots 0–20, OpenZeppelin 5's namespace) and keeping the one that
 * `balanceOf` reads back.
 */
async function deal(
  ep: Endpoint,
  token: Address,
  holder: Address,
  amount: bigint,
  balanceOf: (a: Address) => Promise<bigint>,
): Promise<void> {
  const bases: Hex[] = [
    ...Array.from({ length: 21 }, (_, i) => numberToHex(i, { size: 32 })),
    OZ_ERC20_NAMESPACE,
  ]
  for (const base of bases) {
    const slot = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'bytes32' }], [holder, base]))
    const before = await ep.request<Hex>('eth_getStorageAt', [token, slot, 'latest'])
    await ep.request('anvil_setStorageAt', [token, slot, pad(numberToHex(amount))])
    if ((await balanceOf(holder)) === amount) return
    await ep.request('anvil_setStorageAt', [token, slot, before])
  }
  throw remoteError(`cannot find where ${token} keeps balances: the lifecycle cannot give votes`, {
    retryable: false,
  })
}
