import { type Address, type Hash, type Hex, keccak256 } from 'viem'
import type { SafeOrigin } from '../../model/proposal.js'
import type { Confirmation, SafeState } from '../../model/safe.js'
import type { VetoOutcome } from '../../model/veto.js'
import {
  type GuardTxStatus,
  type OnChainGuardSettings,
  readGuardDeployment,
  readGuardSettings,
  readGuardTxStatus,
  readSafeGuards,
} from '../guard/read.js'
import type { UnsignedTx, VetoSigner, VetoTxParams } from '../veto-signer.js'
import { type ExecutorDeps, noKey } from './common.js'
import { prepared, send } from './send.js'

// A Safe that runs the custos Guard with custos as guardian is stopped on-chain: a scheduled
// transaction is cancelled for good (its hash can never be scheduled again); one that has its
// owners' signatures but is not scheduled yet is scheduled by custos with those signatures and
// cancelled at once; one without them is held by the guard (nothing runs unapproved) and is
// cancelled when it is scheduled. Whatever the guard cannot stop (a guard change, a transaction
// already approved) falls back to the rejection at the same nonce.

export type GuardVetoDeps = ExecutorDeps & {
  /** The guard the configuration names for this Safe. */
  guard: Address
  readSafe(safe: Address): Promise<SafeState>
  /** Called with each guardian transaction's hash right before it is broadcast. */
  beforeSend?(txHash: Hash, action: GuardAction): Promise<void>
}

/**
 * The owners' signatures, packed as execTransaction and the guard's schedule take them: plain
 * 65-byte signatures of owners, ascending by owner, `threshold` of them; undefined when there are
 * not enough (a contract signature, with its dynamic part, is not packed here).
 */
export function packOwnerSignatures(
  confirmations: readonly Confirmation[],
  owners: readonly Address[],
  threshold: bigint,
): Hex | undefined {
  const isOwner = new Set(owners.map((o) => o.toLowerCase()))
  const byOwner = new Map<string, Hex>()
  for (const c of confirmations) {
    const owner = c.owner?.toLowerCase()
    const v = c.signature.length === 132 ? Number.parseInt(c.signature.slice(130), 16) : 0
    if (owner && isOwner.has(owner) && v !== 0) byOwner.set(owner, c.signature)
  }
  const sorted = [...byOwner.entries()].sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1))
  if (threshold < 1n || BigInt(sorted.length) < threshold) return undefined
  return `0x${sorted
    .slice(0, Number(threshold))
    .map(([, s]) => s.slice(2))
    .join('')}`
}

/** Where a transaction stands on the guard, once custos knows it may act there. */
type OnGuard = {
  state: SafeState
  status: GuardTxStatus
  settings: OnChainGuardSettings
}

/**
 * The checks every guardian action makes first: the nonce is not used yet, the Safe runs this guard,
 * the code there is the custos Guard, the Safe configured it with custos's key as guardian.
 * Undefined when the Safe does not run this guard or never configured it (the caller falls back);
 * an outcome when custos must not act.
 */
async function onGuard(deps: GuardVetoDeps, origin: SafeOrigin): Promise<OnGuard | VetoOutcome | undefined> {
  const { client, signer, guard } = deps
  const safe = origin.safe
  const state = await deps.readSafe(safe)
  if (state.nonce > origin.nonce)
    return { status: 'refused', message: `nonce ${origin.nonce} is already used: nothing to do on the guard` }
  const [onSafe, deployment] = await Promise.all([
    readSafeGuards(client, safe),
    readGuardDeployment(client, guard),
  ])
  if (onSafe.guard.toLowerCase() !== guard.toLowerCase()) return undefined
  if (!deployment.codeMatches)
    return {
      status: 'refused',
      escalate: true,
      message: `the code at ${guard} is not the custos Guard: custos does not call it; escalated to the signers instead`,
    }
  const settings = await readGuardSettings(client, safe, guard)
  if (settings.epoch === 0) return undefined
  if (signer && settings.guardian.toLowerCase() !== signer.address.toLowerCase())
    return {
      status: 'refused',
      escalate: true,
      message: `the guard's guardian for ${safe} is ${settings.guardian}, not custos's key ${signer.address}: it cannot act on the guard; escalated to the signers instead`,
    }
  const status = await readGuardTxStatus(client, safe, origin.safeTxHash, guard)
  return { state, status, settings }
}

const isOutcome = (x: OnGuard | VetoOutcome): x is VetoOutcome => 'status' in x && 'message' in x

/**
 * The guarded veto. Undefined when the guard cannot stop this one (the Safe does not run this
 * guard, it was never configured, the transaction changes the guard or was already approved):
 * the caller then falls back to the rejection.
 */
export async function stopOnGuard(deps: GuardVetoDeps, origin: SafeOrigin): Promise<VetoOutcome | undefined> {
  const found = await onGuard(deps, origin)
  if (!found || isOutcome(found)) return found
  const { state, status } = found
  if (status.cancelled)
    return { status: 'refused', message: 'already cancelled on the custos Guard: it can never execute' }
  if (status.guardChange || status.approved) return undefined
  const signatures = status.scheduled
    ? undefined
    : packOwnerSignatures(origin.confirmations, state.owners, state.threshold)
  if (!status.scheduled && !signatures)
    return {
      status: 'refused',
      message: `held by the custos Guard: not approved and not scheduled, it cannot execute; custos cancels it once it is scheduled or has its ${state.threshold} signatures`,
    }
  if (deps.dryRun)
    return {
      status: 'dry-run',
      message: `dry run: custos would ${status.scheduled ? 'cancel it' : 'schedule it with the owners’ signatures and cancel it'} on the custos Guard now, and sent nothing`,
    }
  if (!deps.signer) return noKey
  if (signatures) {
    const scheduled = await scheduleWith(deps, origin, signatures)
    if (!scheduled.ok)
      return {
        status: 'failed',
        txHash: scheduled.hash,
        message: `scheduling it on the guard (to cancel it) reverted (${scheduled.hash})`,
      }
  }
  const sent = await byHash(deps, origin, 'cancel')
  return sent.ok
    ? {
        status: 'sent',
        txHash: sent.hash,
        message: `cancelled on the custos Guard (${sent.hash}): it can never execute`,
      }
    : { status: 'failed', txHash: sent.hash, message: `the cancel on the guard reverted (${sent.hash})` }
}

/**
 * The fast path for what custos judged benign: the guardian approves the safeTxHash, and the
 * owners' signed transaction runs at once. The Safe still checks their signatures: an approval
 * lets nothing run that they did not sign.
 */
export async function approveOnGuard(deps: GuardVetoDeps, origin: SafeOrigin): Promise<VetoOutcome> {
  const found = await onGuard(deps, origin)
  if (!found) return notGuarded(deps)
  if (isOutcome(found)) return found
  const { status } = found
  if (status.cancelled)
    return {
      status: 'refused',
      message: 'cancelled on the custos Guard: it can never execute, nor be approved',
    }
  if (status.approved) return { status: 'refused', message: 'already approved on the custos Guard' }
  if (status.guardChange)
    return {
      status: 'refused',
      message: 'a change of the guard or its settings cannot be approved: it runs after its removal delay',
    }
  if (deps.dryRun)
    return {
      status: 'dry-run',
      message: 'dry run: custos would approve it on the custos Guard now, and sent nothing',
    }
  if (!deps.signer) return noKey
  const sent = await byHash(deps, origin, 'approve')
  return sent.ok
    ? {
        status: 'sent',
        txHash: sent.hash,
        message: `approved it on the custos Guard (${sent.hash}): it can execute now`,
      }
    : { status: 'failed', txHash: sent.hash, message: `the approval on the guard reverted (${sent.hash})` }
}

/**
 * Starts the guard's clock for a transaction custos will neither approve nor cancel: scheduled with
 * the owners' own signatures, it can run once the delay has passed, unless the guardian (custos,
 * or the signers through it) cancels it meanwhile.
 */
export async function scheduleOnGuard(deps: GuardVetoDeps, origin: SafeOrigin): Promise<VetoOutcome> {
  const found = await onGuard(deps, origin)
  if (!found) return notGuarded(deps)
  if (isOutcome(found)) return found
  const { state, status, settings } = found
  if (status.cancelled)
    return { status: 'refused', message: 'cancelled on the custos Guard: it can never execute' }
  if (status.scheduled)
    return {
      status: 'refused',
      message: `already scheduled on the custos Guard: it can execute from ${when(status.executableAt)}`,
    }
  const signatures = packOwnerSignatures(origin.confirmations, state.owners, state.threshold)
  if (!signatures)
    return {
      status: 'refused',
      message: `not scheduled yet: custos schedules it once it has its ${state.threshold} signatures`,
    }
  if (deps.dryRun)
    return {
      status: 'dry-run',
      message: `dry run: custos would schedule it on the custos Guard now (it could run ${settings.delay} s later), and sent nothing`,
    }
  if (!deps.signer) return noKey
  const sent = await scheduleWith(deps, origin, signatures)
  if (!sent.ok)
    return {
      status: 'failed',
      txHash: sent.hash,
      message: `scheduling it on the guard reverted (${sent.hash})`,
    }
  const after = await readGuardTxStatus(deps.client, origin.safe, origin.safeTxHash, deps.guard)
  return {
    status: 'sent',
    txHash: sent.hash,
    message: `scheduled it on the custos Guard (${sent.hash}): it can execute from ${when(after.executableAt)} unless the guardian cancels it`,
  }
}

export type GuardAction = 'approve' | 'cancel' | 'schedule'

/**
 * Signs one guardian call, tells `beforeSend` its hash (so custos knows its own transaction when
 * the guard's event comes back, whichever replica sees it), then sends it and waits for the receipt.
 */
async function sendOnGuard(
  deps: GuardVetoDeps,
  action: GuardAction,
  build: (signer: VetoSigner, params: VetoTxParams) => UnsignedTx,
): Promise<{ hash: Hash; ok: boolean }> {
  const signer = deps.signer as VetoSigner
  const unsigned = await prepared(deps.client, signer.address, (params) => build(signer, params))
  const raw = await signer.signTransaction(unsigned)
  await deps.beforeSend?.(keccak256(raw), action)
  return send(deps.client, raw)
}

/** approve or cancel of the transaction's safeTxHash. */
const byHash = (deps: GuardVetoDeps, origin: SafeOrigin, action: 'approve' | 'cancel') =>
  sendOnGuard(deps, action, (signer, params) =>
    (action === 'approve' ? signer.approveOnGuard : signer.cancelOnGuard)(
      { chainId: deps.chainId, guard: deps.guard, safe: origin.safe, safeTxHash: origin.safeTxHash },
      params,
    ),
  )

/** schedule with the owners' packed signatures, which the key passes on and never makes. */
const scheduleWith = (deps: GuardVetoDeps, origin: SafeOrigin, signatures: Hex) =>
  sendOnGuard(deps, 'schedule', (signer, params) =>
    signer.scheduleOnGuard(
      { chainId: deps.chainId, guard: deps.guard, safe: origin.safe, tx: withoutSafe(origin.tx), signatures },
      params,
    ),
  )

const notGuarded = (deps: GuardVetoDeps): VetoOutcome => ({
  status: 'refused',
  message: `the Safe does not run the custos Guard at ${deps.guard} (or never configured it): nothing to do on the guard`,
})

const when = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString()

const withoutSafe = ({ safe: _safe, ...fields }: SafeOrigin['tx']) => fields
