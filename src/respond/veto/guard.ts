import type { Address, Hex } from 'viem'
import type { SafeOrigin } from '../../model/proposal.js'
import type { Confirmation, SafeState } from '../../model/safe.js'
import type { VetoOutcome } from '../../model/veto.js'
import { readGuardDeployment, readGuardSettings, readGuardTxStatus, readSafeGuards } from '../guard/read.js'
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

/**
 * The guarded veto. Undefined when the guard cannot stop this one (the Safe does not run this
 * guard, it was never configured, the transaction changes the guard or was already approved):
 * the caller then falls back to the rejection.
 */
export async function stopOnGuard(deps: GuardVetoDeps, origin: SafeOrigin): Promise<VetoOutcome | undefined> {
  const { chainId, client, signer, guard } = deps
  const safe = origin.safe
  const state = await deps.readSafe(safe)
  if (state.nonce > origin.nonce)
    return { status: 'refused', message: `nonce ${origin.nonce} is already used: nothing to stop` }
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
      message: `the guard's guardian for ${safe} is ${settings.guardian}, not custos's key ${signer.address}: it cannot cancel; escalated to the signers instead`,
    }
  const status = await readGuardTxStatus(client, safe, origin.safeTxHash, guard)
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
  if (!signer) return noKey
  if (signatures) {
    const unsigned = await prepared(client, signer.address, (params) =>
      signer.scheduleOnGuard({ chainId, guard, safe, tx: withoutSafe(origin.tx), signatures }, params),
    )
    const scheduled = await send(client, await signer.signTransaction(unsigned))
    if (!scheduled.ok)
      return {
        status: 'failed',
        txHash: scheduled.hash,
        message: `scheduling it on the guard (to cancel it) reverted (${scheduled.hash})`,
      }
  }
  const unsigned = await prepared(client, signer.address, (params) =>
    signer.cancelOnGuard({ chainId, guard, safe, safeTxHash: origin.safeTxHash }, params),
  )
  const sent = await send(client, await signer.signTransaction(unsigned))
  return sent.ok
    ? {
        status: 'sent',
        txHash: sent.hash,
        message: `cancelled on the custos Guard (${sent.hash}): it can never execute`,
      }
    : { status: 'failed', txHash: sent.hash, message: `the cancel on the guard reverted (${sent.hash})` }
}

const withoutSafe = ({ safe: _safe, ...fields }: SafeOrigin['tx']) => fields
