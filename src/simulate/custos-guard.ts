import {
  type Abi,
  type AbiFunction,
  type Address,
  type Hash,
  type Hex,
  hexToBigInt,
  keccak256,
  toFunctionSelector,
  zeroAddress,
} from 'viem'
import { type CustosGuardView, duration, isoTime } from '../model/custos-guard.js'
import type { SafeTx } from '../model/safe.js'
import type { Simulation, TraceCall } from '../model/simulation.js'
import { type Endpoint, readCall } from './endpoint.js'
import { flattenTrace } from './trace.js'

// Whether and when a transaction held by the custos Guard would run: the guard's own records for the Safe and the
// safeTxHash, read at the simulated block, judged with the guard's rules (contracts/CustosGuardRules.sol, decide),
// then checked against what the simulation saw the guard do.

/**
 * What the simulation must know to recognise the custos Guard at any address; given by the joining layer (the
 * contract's build lives with the code that acts on it).
 */
export type CustosGuardKnowledge = {
  abi: Abi
  /** The guard's code hash when deployed at `address` (its runtime code holds its own address). */
  codeHash(address: Address): Hash
}

type Settings = { guardian: Address; delay: number; removalDelay: number; epoch: number }
type Status = NonNullable<CustosGuardView['status']> & { guardChange: boolean }
type Reads = { settings: Settings; status: Status }

const SET_GUARD = '0xe19a9dd9'
const SET_MODULE_GUARD = '0xe068df37'

/**
 * The guard's settings for `safe` and its status of `safeTxHash`; undefined when the code at `guard` is not the
 * custos Guard. Never rejects (it runs beside the simulation, which may end first): a read that fails gives an
 * `unknown` view with the reason.
 */
export function readCustosGuard(
  ep: Endpoint,
  known: CustosGuardKnowledge,
  guard: Address,
  safe: Address,
  safeTxHash: Hash,
  block: Hex,
): Promise<Reads | CustosGuardView | undefined> {
  return read(ep, known, guard, safe, safeTxHash, block).catch((error) =>
    unknown(`the custos Guard could not be read: ${why(error)}`),
  )
}

/**
 * The view of what was read: the guard's rules applied to its records. A judgement that cannot be made (a block
 * without a time) is `unknown` too, never a failed simulation.
 */
export function custosGuardView(
  reads: Reads | CustosGuardView,
  ctx: { tx: SafeTx; guard: Address; blockTime: Hex | undefined; sim: Simulation; abi: Abi },
): CustosGuardView {
  if (isView(reads)) return reads
  try {
    if (ctx.blockTime === undefined) return unknown('the node gave no time for the simulated block')
    return judgeCustosGuard(reads, { ...ctx, blockTime: hexToBigInt(ctx.blockTime) })
  } catch (error) {
    return unknown(`the custos Guard's records could not be judged: ${why(error)}`)
  }
}

async function read(
  ep: Endpoint,
  known: CustosGuardKnowledge,
  guard: Address,
  safe: Address,
  safeTxHash: Hash,
  block: Hex,
): Promise<Reads | CustosGuardView | undefined> {
  let code: Hex
  try {
    code = await ep.request<Hex>('eth_getCode', [guard, block])
  } catch (error) {
    return unknown(
      `could not read the code at the guard ${guard} to tell whether it is the custos Guard: ${why(error)}`,
    )
  }
  if (typeof code !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(code))
    return unknown(`the node's answer for the code at the guard ${guard} is not bytecode`)
  if (keccak256(code) !== known.codeHash(guard)) return undefined
  try {
    const [[guardian, delay, removalDelay, epoch], status] = await Promise.all([
      readCall<readonly [Address, number, number, number, readonly Address[]]>(
        ep,
        guard,
        known.abi,
        'settings',
        [safe],
        block,
      ),
      readCall<Status>(ep, guard, known.abi, 'status', [safe, safeTxHash], block),
    ])
    return { settings: { guardian, delay, removalDelay, epoch }, status }
  } catch (error) {
    return unknown(`the custos Guard's settings or status could not be read: ${why(error)}`)
  }
}

/** The guard's rules applied to its records, checked against what the simulation saw the guard do. */
function judgeCustosGuard(
  reads: Reads,
  ctx: { tx: SafeTx; guard: Address; blockTime: bigint; sim: Simulation; abi: Abi },
): CustosGuardView {
  const { settings: s, status } = reads
  const { tx, guard, blockTime, sim } = ctx
  const base = {
    guardian: s.guardian,
    delay: s.delay,
    removalDelay: s.removalDelay,
    epoch: s.epoch,
  }
  // A used nonce is the Safe's refusal, not the guard's, but "runs" must not say otherwise.
  if (sim.nonce?.stale)
    return {
      runs: 'never',
      reason: `its nonce ${sim.nonce.tx} is already used (the Safe is at ${sim.nonce.onChain}): it can never run`,
      ...base,
    }
  if (s.epoch === 0)
    return {
      runs: 'now',
      reason: 'the Safe never configured the custos Guard, which lets it through',
      ...base,
    }
  const guardChange =
    status.guardChange ||
    leaveShape(tx, guard, ctx.abi) ||
    changesGuard(sim.withoutGuard ?? sim, tx.safe, guard, ctx.abi) ||
    // The guard itself said so, which stands whatever the runs show.
    /\b(?:GuardChangeNotCleared|ReconfigureNotCleared)\(/.test(sim.revertReason ?? '')
  const { guardChange: _recorded, ...st } = status
  const view = (v: Omit<CustosGuardView, keyof typeof base | 'status' | 'guardChange'>): CustosGuardView =>
    crossCheck({ ...v, ...base, guardChange, status: st }, sim, guard, ctx.abi)
  if (isRejection(tx))
    return view({ runs: 'now', reason: 'the canonical rejection: the guard always lets it through at once' })
  if (status.cancelled)
    return view({ runs: 'never', reason: 'cancelled by the guardian; it cannot be scheduled again' })
  if (status.approved && !guardChange) return view({ runs: 'now', reason: 'approved by the guardian' })
  const wait = guardChange
    ? `removalDelay (${duration(s.removalDelay)}), as it changes the guard or its settings`
    : `delay (${duration(s.delay)})`
  if (status.scheduled) {
    // A guard change passes only once cleared (scheduled removalDelay ago), whatever the guardian approved.
    const at = guardChange ? status.clearedAt : status.executableAt
    const since = `scheduled at ${isoTime(status.scheduledAt)} with the owners' signatures`
    if (at <= blockTime) return view({ runs: 'now', reason: `${since}; its ${wait} has passed` })
    return view({
      runs: 'after-delay',
      executableAt: at,
      reason: `${since}, then its ${wait}; ${guardChange ? 'the guardian cannot cancel it' : 'the guardian can still cancel it'}`,
    })
  }
  return view({
    runs: 'needs-schedule',
    reason: guardChange
      ? `someone must schedule it with the owners' signatures, then wait its ${wait}; the guardian can neither approve it early nor cancel it`
      : `neither approved nor scheduled: someone must schedule it with the owners' signatures, then wait its ${wait}, unless the guardian approves it`,
  })
}

/**
 * The records are read by this safeTxHash; the simulation ran the guard itself. Where they disagree, the view says
 * so rather than picking one: a transaction reported as running now must have passed the guard in the simulation.
 */
function crossCheck(v: CustosGuardView, sim: Simulation, guard: Address, abi: Abi): CustosGuardView {
  const blocked = sim.guard?.blocked === true
  if (v.runs === 'now' && blocked)
    return {
      ...v,
      runs: 'unknown',
      reason: `its records let it run now (${v.reason}), yet the guard stopped the simulated transaction: ${sim.revertReason ?? 'no reason given'}`,
    }
  if (v.runs !== 'now' && !blocked && passedGuard(sim.trace, guard, abi))
    return {
      ...v,
      runs: 'unknown',
      reason: `its records say it does not run now (${v.reason}), yet the guard let the simulated transaction through`,
    }
  return v
}

/** The guard's checkTransaction completed in the trace. */
function passedGuard(trace: TraceCall, guard: Address, abi: Abi): boolean {
  const check = selectorOf(abi, 'checkTransaction')
  return flattenTrace(trace).some(
    (f) => same(f.to, guard) && f.input.slice(0, 10).toLowerCase() === check && f.error === undefined,
  )
}

/** The owners' way to burn a nonce, which the guard always lets through (CustosGuardRules.isRejection). */
function isRejection(tx: SafeTx): boolean {
  return same(tx.to, tx.safe) && tx.value === 0n && tx.data === '0x' && tx.operation === 0 && noGas(tx)
}

const noGas = (tx: SafeTx) =>
  tx.safeTxGas === 0n &&
  tx.baseGas === 0n &&
  tx.gasPrice === 0n &&
  same(tx.gasToken, zeroAddress) &&
  same(tx.refundReceiver, zeroAddress)

/** The single-call forms the guard records as a guard change when scheduled (CustosGuard._isGuardChange). */
function leaveShape(tx: SafeTx, guard: Address, abi: Abi): boolean {
  if (tx.operation !== 0 || tx.value !== 0n || !noGas(tx) || tx.data.length < 10) return false
  const selector = tx.data.slice(0, 10).toLowerCase()
  if (same(tx.to, tx.safe))
    return tx.data.length === 2 + 72 && (selector === SET_GUARD || selector === SET_MODULE_GUARD)
  return same(tx.to, guard) && selector === selectorOf(abi, 'configure')
}

/**
 * What the transaction intends changes the guard or its settings: a completed setGuard/setModuleGuard on the Safe to
 * anything but this guard, a configure on the guard, or a guard slot written to another address. (Run with the guard
 * slot cleared, a write of zero to it leaves no diff: the calls are what tell a removal.)
 */
function changesGuard(intent: Simulation, safe: Address, guard: Address, abi: Abi): boolean {
  const configure = selectorOf(abi, 'configure')
  const byCall = flattenTrace(intent.trace).some((f) => {
    if (f.error !== undefined || f.type === 'STATICCALL') return false
    const selector = f.input.slice(0, 10).toLowerCase()
    if (same(f.to, guard)) return selector === configure
    if (!same(f.to, safe) || (selector !== SET_GUARD && selector !== SET_MODULE_GUARD)) return false
    return !same(`0x${f.input.slice(34, 74)}`, guard)
  })
  const bySlot = intent.safeChanges.some(
    (c) => (c.field === 'guard' || c.field === 'moduleGuard') && !same(String(c.after), guard),
  )
  return byCall || bySlot
}

function selectorOf(abi: Abi, name: string): string {
  const item = abi.find((i): i is AbiFunction => i.type === 'function' && i.name === name)
  if (!item) throw new Error(`the custos Guard's ABI has no ${name}`)
  return toFunctionSelector(item).toLowerCase()
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

const unknown = (reason: string): CustosGuardView => ({ runs: 'unknown', reason })

/** The first line of an error: viem's decoding errors go on for paragraphs. */
function why(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string }
  return String(e.shortMessage ?? e.message ?? error).split('\n')[0] as string
}

const isView = (r: Reads | CustosGuardView): r is CustosGuardView => 'runs' in r
