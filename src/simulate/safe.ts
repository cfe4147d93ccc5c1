import {
  type Address,
  concat,
  decodeFunctionData,
  encodeAbiParameters,
  type Hash,
  type Hex,
  hexToBigInt,
  keccak256,
  numberToHex,
  pad,
  parseAbi,
  zeroAddress,
} from 'viem'
import type { FunctionRegistry } from '../model/decoded.js'
import type { TokenInfo } from '../model/guard.js'
import { unpackMultiSend } from '../model/multisend.js'
import { execTransactionData, type SafeTx } from '../model/safe.js'
import { domainHash } from '../model/safe-hash.js'
import type { AccountDiff, SafeChange, Simulation, TraceCall } from '../model/simulation.js'
import { type CustosGuardKnowledge, custosGuardView, readCustosGuard } from './custos-guard.js'
import { wordToAddress } from './diff.js'
import { seenAddresses } from './effects.js'
import { type Endpoint, ifAnswered, readCall } from './endpoint.js'
import { standInGuard, withoutStandIn } from './intent-guard.js'
import { effectsOf, traceCallWithDiff } from './outcome.js'
import { approvedHashSlot, type SafeBefore, SENTINEL, SLOT, safeChanges } from './safe-slots.js'
import { tokenInfoCalls } from './tokens.js'
import { flattenTrace } from './trace.js'

const safeAbi = parseAbi([
  'function getOwners() view returns (address[])',
  'function getThreshold() view returns (uint256)',
  'function nonce() view returns (uint256)',
  'function getModulesPaginated(address start, uint256 pageSize) view returns (address[] array, address next)',
])
const multiSendAbi = parseAbi(['function multiSend(bytes transactions)'])
const MULTISEND_SELECTOR = '0x8d80ff0a'
const SAFE_MSG_TYPEHASH = '0x60b3cbf8b4a223d68d641b3b6ddf9a298e7f33710cf3d3a9d1146b5a6150fbca'
const MAX_GAS = 30_000_000n

export type SafeSimInput = {
  tx: SafeTx
  safeTxHash: Hash
  version: string
  chainId: number
  registry: FunctionRegistry
  tokens: TokenInfo[]
  /** Addresses from the decoded call tree, to name owners/modules mapping slots. */
  candidates: Address[]
  /** The Safe as the upstream node sees it now; a fork that disagrees is behind the chain. */
  expected?: { nonce: bigint; threshold: bigint; owners: Address[] }
}

/** The fork is behind the chain for this Safe: move it forward and try again. */
export class StaleForkError extends Error {
  override name = 'StaleForkError'
}

/**
 * Runs the exact signed transaction through execTransaction on `ep` without changing any state:
 * a traced call with state overrides that approve the hash for `threshold` real owners (in
 * ascending order, as the Safe requires) and, for a transaction queued behind others, set the
 * nonce. The threshold itself is never touched, so a threshold change shows in the diff.
 */
export async function simulateSafeTx(
  ep: Endpoint,
  input: SafeSimInput,
  known: { custosGuard?: CustosGuardKnowledge } = {},
): Promise<Simulation> {
  const started = performance.now()
  const block = await ep.request<{ number: Hex; gasLimit: Hex; timestamp?: Hex }>('eth_getBlockByNumber', [
    'latest',
    false,
  ])
  // The Safe as the node says it is now gives the very call the simulation will make: a fork
  // learns what it reads while it reads the Safe, so one prefetch covers both.
  // The token metadata the effects will look up is announced along with it.
  const expected = input.expected && execCall(input, input.expected, block, false)
  const hints = ep.expect
    ? [
        ...(expected
          ? [
              ep.expect('debug_traceCall', [
                expected.call,
                block.number,
                { stateOverrides: expected.overrides },
              ]),
            ]
          : []),
        ...tokenInfoCalls(input.chainId, targets(input.tx), input.tokens).map((c) =>
          (ep.expect as NonNullable<Endpoint['expect']>)('eth_call', [c, block.number]),
        ),
      ]
    : []
  const withdraw = () => {
    for (const h of hints) h()
  }
  let before: SafeBefore
  try {
    before = await readSafe(ep, input.tx.safe, block.number)
  } catch (cause) {
    withdraw()
    if (ep.mode === 'fork') throw new StaleForkError('the fork does not know this Safe', { cause })
    throw cause
  }
  const want = input.expected
  if (
    ep.mode === 'fork' &&
    want &&
    (want.nonce !== before.nonce ||
      want.threshold !== before.threshold ||
      want.owners.join() !== before.owners.join())
  ) {
    withdraw()
    throw new StaleForkError('the fork is behind the chain for this Safe')
  }
  // The custos Guard's records are read alongside the runs; the read never throws (a failure is an `unknown` view).
  const custos =
    known.custosGuard && before.guard !== zeroAddress
      ? readCustosGuard(ep, known.custosGuard, before.guard, input.tx.safe, input.safeTxHash, block.number)
      : undefined
  try {
    const sim = await run(ep, input, before, block, false)
    if (sim.guard?.blocked) sim.withoutGuard = await run(ep, input, before, block, true)
    const reads = await custos
    if (sim.guard && reads && known.custosGuard)
      sim.guard.custos = custosGuardView(reads, {
        tx: input.tx,
        guard: before.guard,
        blockTime: block.timestamp,
        sim,
        abi: known.custosGuard.abi,
      })
    sim.durationMs = Math.round(performance.now() - started)
    return sim
  } finally {
    withdraw()
  }
}

/** The contracts the transaction calls: its target, and the calls of a MultiSend. */
function targets(tx: SafeTx): Address[] {
  if (!tx.data.startsWith(MULTISEND_SELECTOR)) return [tx.to]
  try {
    const [packed] = decodeFunctionData({ abi: multiSendAbi, data: tx.data }).args
    return [tx.to, ...unpackMultiSend(packed, 1000).calls.map((c) => c.to)]
  } catch {
    return [tx.to]
  }
}

/**
 * execTransaction as the simulation sends it, for a Safe with these owners, threshold and
 * nonce: the approvals and the nonce in state overrides, `v = 1` signatures.
 */
function execCall(
  input: SafeSimInput,
  safe: { owners: readonly Address[]; threshold: bigint; nonce: bigint },
  block: { gasLimit: Hex },
  clearGuard: boolean,
) {
  const { tx, safeTxHash } = input
  const signers = [...safe.owners]
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
    .slice(0, Number(safe.threshold))
  const stateDiff: Record<Hex, Hex> = {}
  for (const owner of signers) stateDiff[approvedHashSlot(owner, safeTxHash)] = pad('0x01')
  const nonceOverridden = tx.nonce !== safe.nonce
  if (nonceOverridden) stateDiff[SLOT.nonce] = pad(numberToHex(tx.nonce))
  // v = 1: r holds the owner, whose approval of the hash is in the overridden storage.
  const signatures = concat(signers.map((o) => concat([pad(o), pad('0x00'), '0x01'])))
  const data = execTransactionData(tx, signatures)
  const from = signers[0] ?? safe.owners[0] ?? zeroAddress
  const gasLimit = hexToBigInt(block.gasLimit)
  // With a gas refund, run at the transaction's gasPrice so the refund is actually paid (to the
  // sender, as tx.origin) and shows in the asset changes; the sender gets the ETH to pay for gas.
  const call = {
    from,
    to: tx.safe,
    data,
    gas: numberToHex(gasLimit < MAX_GAS ? gasLimit : MAX_GAS),
    ...(tx.gasPrice > 0n ? { gasPrice: numberToHex(tx.gasPrice) } : {}),
  }
  const overrides: Record<Address, { stateDiff?: Record<Hex, Hex>; balance?: Hex; code?: Hex }> = {
    [tx.safe]: { stateDiff },
    ...(clearGuard ? standInGuard(stateDiff) : {}),
  }
  if (tx.gasPrice > 0n && from !== tx.safe) overrides[from] = { balance: numberToHex(2n ** 200n) }
  return { call, overrides, from, nonceOverridden }
}

async function run(
  ep: Endpoint,
  input: SafeSimInput,
  before: SafeBefore,
  block: { number: Hex; gasLimit: Hex },
  clearGuard: boolean,
): Promise<Simulation> {
  const started = performance.now()
  const { tx, safeTxHash } = input
  const { call, overrides, from, nonceOverridden } = execCall(input, before, block, clearGuard)
  const traced = await traceCallWithDiff(ep, call, block.number, overrides, input.registry)
  const { logs } = traced
  const { trace, diff } = clearGuard
    ? withoutStandIn(traced.trace, traced.diff, tx.safe, before.guard)
    : traced
  // The simulated sender's own nonce bump is an artefact of simulating, not an effect.
  const storageDiff = diff
    .map((d) => (d.address === from && d.storage.length === 0 && !d.code ? { ...d, nonce: undefined } : d))
    .filter((d) => d.balance || d.nonce || d.code || d.storage.length)
    .map(({ nonce, ...d }) => (nonce ? { ...d, nonce } : d))
  const executed =
    !trace.error && trace.output !== undefined && trace.output !== '0x' && hexToBigInt(trace.output) === 1n
  const guard =
    before.guard !== zeroAddress && !clearGuard
      ? { address: before.guard, blocked: blockedBy(trace, before.guard) }
      : undefined
  const candidates = new Set<Address>([...input.candidates, ...seenAddresses(trace, logs)])
  const safeDiff = storageDiff.find((d) => d.address === tx.safe)
  const hashes = [safeTxHash, ...bytes32Args(trace), ...signedMessageHashes(trace, input)]
  const sim: Simulation = {
    mode: ep.mode,
    block: hexToBigInt(block.number),
    from,
    success: executed,
    gasUsed: trace.gasUsed,
    nonce: {
      onChain: before.nonce,
      tx: tx.nonce,
      overridden: nonceOverridden,
      stale: tx.nonce < before.nonce,
    },
    trace,
    logs,
    safeChanges: safeChanges(safeDiff, before, candidates, hashes),
    nestedSafeChanges: await nestedSafeChanges(ep, storageDiff, tx.safe, block.number, candidates, hashes),
    ...(await effectsOf(trace, logs, storageDiff, {
      ep,
      tokens: input.tokens,
      chainId: input.chainId,
      block: block.number,
      holder: tx.safe,
    })),
    storageDiff,
    ...(guard ? { guard } : {}),
    durationMs: Math.round(performance.now() - started),
  }
  const reason = revertReason(trace, executed)
  if (reason) sim.revertReason = reason
  return sim
}

/**
 * Other Safes whose storage the transaction changes (a nested Safe it owns and executes on):
 * their changes are read from the diff in the same way, so a config change one level down is
 * not missed. Accounts that do not answer as a Safe are skipped.
 */
async function nestedSafeChanges(
  ep: Endpoint,
  diff: AccountDiff[],
  self: Address,
  block: Hex,
  candidates: Set<Address>,
  hashes: Hex[],
): Promise<Array<{ safe: Address; changes: SafeChange[] }>> {
  const others = diff.filter((d) => d.address !== self && d.storage.length > 0).slice(0, 20)
  const found = await Promise.all(
    others.map(async (d) => {
      // Safe proxies answer masterCopy() (selector a619486e) in their own code: a cheap test
      // before the eight reads that tell a Safe's state.
      const code = await ep.request<Hex>('eth_getCode', [d.address, block]).catch(ifAnswered<Hex>('0x'))
      if (!code.toLowerCase().includes('a619486e')) return undefined
      // Answers masterCopy() but not the Safe getters: not a Safe whose configuration can change.
      const before = await readSafe(ep, d.address, block).catch(ifAnswered(undefined))
      if (!before) return undefined
      const changes = safeChanges(d, before, candidates, hashes)
      return changes.some((c) => c.field !== 'nonce' && c.field !== 'approvedHashes')
        ? { safe: d.address, changes }
        : undefined
    }),
  )
  return found.filter((x): x is { safe: Address; changes: SafeChange[] } => x !== undefined)
}

/** The Safe as the node sees it at `block`: the "before" side of every change. */
async function readSafe(ep: Endpoint, safe: Address, block: Hex): Promise<SafeBefore> {
  const slot = (s: Hex) =>
    ep.request<Hex>('eth_getStorageAt', [safe, s, block]).then((w) => wordToAddress(pad(w)) ?? zeroAddress)
  const [owners, threshold, nonce, singleton, guard, fallbackHandler, moduleGuard, modules] =
    await Promise.all([
      readCall<readonly Address[]>(ep, safe, safeAbi, 'getOwners', [], block),
      readCall<bigint>(ep, safe, safeAbi, 'getThreshold', [], block),
      readCall<bigint>(ep, safe, safeAbi, 'nonce', [], block),
      slot(SLOT.singleton),
      slot(SLOT.guard as Hex),
      slot(SLOT.fallbackHandler as Hex),
      slot(SLOT.moduleGuard as Hex),
      readCall<readonly [readonly Address[], Address]>(
        ep,
        safe,
        safeAbi,
        'getModulesPaginated',
        [SENTINEL, 100n],
        block,
      )
        .then(([list]) => [...list])
        // Safes before 1.3.0 have no getModulesPaginated: no modules listed.
        .catch(ifAnswered([] as Address[])),
    ])
  return { owners: [...owners], threshold, nonce, singleton, guard, fallbackHandler, moduleGuard, modules }
}

/** The guard blocked the transaction when its own call failed and so did the whole call. */
function blockedBy(trace: TraceCall, guard: Address): boolean {
  return trace.error !== undefined && flattenTrace(trace).some((f) => f.to === guard && f.error !== undefined)
}

/** Why the transaction failed: the outer revert, and the innermost reason beneath it. */
function revertReason(trace: TraceCall, executed: boolean): string | undefined {
  if (executed) return undefined
  const failing = flattenTrace(trace).filter((f) => f.error !== undefined)
  const deepest = failing.at(-1)
  if (trace.error) {
    return deepest && deepest !== trace && deepest.error !== trace.error
      ? `${trace.error}; inner call reverted: ${deepest.error}`
      : trace.error
  }
  const inner = deepest ? `: ${deepest.error}` : ''
  return `the Safe transaction failed (ExecutionFailure), the nonce is used up and any gas refund is paid${inner}`
}

function bytes32Args(trace: TraceCall): Hex[] {
  return flattenTrace(trace).flatMap((f) =>
    (f.function?.args ?? []).filter((a) => a.type === 'bytes32').map((a) => a.value as Hex),
  )
}

/** Hashes SignMessageLib writes into signedMessages, so that slot can be named. */
function signedMessageHashes(trace: TraceCall, input: SafeSimInput): Hex[] {
  const domain = domainHash(input.version, input.chainId, input.tx.safe)
  return flattenTrace(trace)
    .filter((f) => f.function?.signature === 'signMessage(bytes)')
    .map((f) => {
      const message = f.function?.args[0]?.value as Hex
      const structHash = keccak256(
        encodeAbiParameters(
          [{ type: 'bytes32' }, { type: 'bytes32' }],
          [SAFE_MSG_TYPEHASH, keccak256(message)],
        ),
      )
      return keccak256(concat(['0x1901', domain, structHash]))
    })
}
