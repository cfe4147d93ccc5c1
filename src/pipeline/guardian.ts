import type { Action } from '../model/action.js'
import { errorText } from '../model/redact.js'
import type { Report } from '../model/report.js'
import { type Level, levelRank } from '../model/severity.js'
import type { StoredProposal, WorkBatch } from '../model/store.js'
import type { Target } from '../model/target.js'
import type { SignatureCheck } from '../model/verification.js'
import type { VetoOutcome } from '../model/veto.js'
import { escalateNow } from '../respond/escalation.js'
import { CUSTOS_GUARD_ADDRESS } from '../respond/guard/contract.js'
import {
  approveOnGuard,
  type GuardAction,
  type GuardVetoDeps,
  scheduleOnGuard,
} from '../respond/veto/guard.js'
import type { VetoSigner } from '../respond/veto-signer.js'
import { readSafeState } from '../verify/chain.js'
import type { WatchContext } from './context.js'
import { vetoSwitch } from './pause.js'
import { ladderFor, rulesFor } from './policy.js'
import { proposalUpdate } from './updates.js'

// custos as the custos Guard's guardian, beyond the veto (which cancels, pipeline/veto.ts): once a
// transaction on a guarded Safe has its owners' signatures, what custos judged benign (below
// `guard.approveBelow`) is approved and runs at once; what it judged worth a look but not a veto
// is scheduled by custos itself, so the delay starts while the signers are called. Nothing at or
// above the veto level is ever approved. A signer's Approve press asks the same of the guard.

export type GuardianAction = Extract<GuardAction, 'approve' | 'schedule'>

/**
 * What the guardian should do after a judgement, if anything: only for a Safe that runs the
 * guard, for a verdict that is not a veto, once the signatures reach the threshold.
 */
export function guardianAction(
  ctx: Pick<WatchContext, 'config'>,
  target: Target | undefined,
  level: Level,
  actions: Action[],
  report: Report,
): GuardianAction | undefined {
  const guard = target?.kind === 'safe' ? target.guard : undefined
  const threshold = report.safe?.state?.threshold
  if (!guard || actions.includes('veto') || !signedByThreshold(report.signatures, threshold)) return undefined
  return approvable(level, guard.approveBelow, rulesFor(ctx.config, target).vetoAt) ? 'approve' : 'schedule'
}

/** Below `approveBelow`, and below the veto level whatever `approveBelow` says. */
export const approvable = (level: Level, approveBelow: Level, vetoAt: Level | undefined): boolean =>
  levelRank(level) < levelRank(approveBelow) && (vetoAt === undefined || levelRank(level) < levelRank(vetoAt))

/**
 * The Safe would accept these confirmations: at least `threshold` distinct current owners whose
 * signature custos checked (recovered ECDSA, an approved hash on chain, a valid EIP-1271 answer).
 */
export function signedByThreshold(signatures: SignatureCheck[], threshold: bigint | undefined): boolean {
  if (!threshold) return false
  const valid = new Set<string>()
  for (const s of signatures) {
    if (s.malformed || !s.signer || s.isOwner !== true) continue
    const ok =
      s.kind === 'ecdsa' || s.kind === 'eth_sign'
        ? true
        : s.kind === 'approved-hash'
          ? s.approvedOnChain === true
          : s.kind === 'contract'
            ? s.eip1271Valid === true
            : false
    if (ok) valid.add(s.signer.toLowerCase())
  }
  return BigInt(valid.size) >= threshold
}

type By = { kind: 'auto' | 'chat'; actor: string }

/** One guardian action on one proposal, audited, recorded and told to the channels it was shown on. */
export async function actAsGuardian(
  ctx: WatchContext,
  signer: VetoSigner | undefined,
  p: StoredProposal,
  action: GuardianAction,
  by: By,
): Promise<VetoOutcome> {
  const now = ctx.clock()
  let outcome: VetoOutcome
  try {
    outcome = await run(ctx, signer, p, action, by)
  } catch (error) {
    outcome = { status: 'failed', message: errorText(error) }
  }
  const acted = outcome.status === 'sent'
  // Scheduled means it runs after the delay unless somebody stops it: the signers are called.
  const escalation =
    (action === 'schedule' && acted) || outcome.escalate
      ? await escalationFor(ctx, p, now, 'medium')
      : undefined
  const who = by.kind === 'auto' ? 'custos' : (by.actor.split(' via ')[0] ?? by.actor)
  // Only what changes something for the signers is posted; waiting for signatures is audited only.
  const tell = acted || outcome.status === 'failed' || outcome.escalate || by.kind === 'chat'
  const batch: WorkBatch = {
    guardian: [
      {
        proposalId: p.id,
        action,
        status: outcome.status,
        ...(outcome.txHash ? { txHash: outcome.txHash } : {}),
        details: { actor: by.actor, message: outcome.message },
      },
    ],
    audit: [
      { actor: by.actor, action: `guard-${action}-${outcome.status}`, subject: p.id, details: outcome },
    ],
    ...(escalation ? { escalations: [escalation] } : {}),
    outbox: tell
      ? await proposalUpdate(
          ctx,
          p,
          acted ? (action === 'approve' ? 'approved' : 'scheduled') : 'escalated',
          acted
            ? `${who} ${outcome.message}`
            : `${who}: guard ${action} ${outcome.status}: ${outcome.message}`,
          `guard-${action}:${by.kind}:${now}`,
        )
      : [],
  }
  await ctx.commit(batch)
  const log =
    acted || outcome.status === 'dry-run' || outcome.status === 'refused' ? ctx.logger.info : ctx.logger.warn
  log.call(
    ctx.logger,
    { proposal: p.id, guard: action, outcome: outcome.status, by: by.actor },
    outcome.message,
  )
  return outcome
}

async function run(
  ctx: WatchContext,
  signer: VetoSigner | undefined,
  p: StoredProposal,
  action: GuardianAction,
  by: By,
): Promise<VetoOutcome> {
  const origin = p.origin
  if (origin.kind !== 'safe')
    return { status: 'refused', message: 'only a Safe transaction runs through a guard' }
  const target = ctx.targets.get(p.chainId, p.target.address)
  const guard = target?.guard
  if (!guard)
    return { status: 'refused', message: 'this Safe does not run the custos Guard in the configuration' }
  const sw = vetoSwitch(ctx.config, p)
  if (!sw.enabled) return { status: 'refused', message: `${sw.off}: custos acts on no guard` }
  const vetoAt = rulesFor(ctx.config, target).vetoAt
  const level = p.level ?? 'critical'
  // Checked again on the stored verdict, which a later judgement may have raised meanwhile.
  if (
    action === 'approve' &&
    !approvable(level, by.kind === 'auto' ? guard.approveBelow : 'critical', vetoAt)
  )
    return {
      status: 'refused',
      message:
        by.kind === 'auto'
          ? `custos judged it ${level}: not approved on the guard (guard.approveBelow is ${guard.approveBelow})`
          : `custos judged it ${level}, at or above the veto level ${vetoAt}: it is never approved on the guard; once scheduled it can run after the delay unless cancelled`,
    }
  // A lying endpoint could make an attack look benign to one replica: with a quorum, the fast path
  // would need second opinions replicas do not give for approvals yet, so custos starts the clock.
  if (action === 'approve' && by.kind === 'auto' && ctx.config.veto.quorum > 1) {
    const scheduled = await run(ctx, signer, p, 'schedule', by)
    return {
      ...scheduled,
      message: `veto.quorum is ${ctx.config.veto.quorum}, so custos approves nothing alone: ${scheduled.message}`,
    }
  }
  const deps = guardDeps(ctx, p, guard, { signer, dryRun: sw.dryRun })
  return action === 'approve' ? approveOnGuard(deps, origin) : scheduleOnGuard(deps, origin)
}

/** What every guardian action on `p` is given, the veto's cancel included. */
export function guardDeps(
  ctx: WatchContext,
  p: StoredProposal,
  guard: NonNullable<Target['guard']>,
  opts: { signer: VetoSigner | undefined; dryRun: boolean },
): GuardVetoDeps {
  const client = ctx.client(p.chainId)
  return {
    chainId: p.chainId,
    client,
    ...opts,
    guard: guard.address ?? CUSTOS_GUARD_ADDRESS,
    readSafe: (safe) => readSafeState(client, safe),
    // Recorded before it is broadcast: the guard's event for it is then known as custos's own.
    beforeSend: async (txHash, action) =>
      void (await ctx.commit({ guardian: [{ proposalId: p.id, action, status: 'signed', txHash }] })),
  }
}

/** The signers are called now, unless a ladder is already running (or ladders are off). */
export async function escalationFor(ctx: WatchContext, p: StoredProposal, now: number, level: Level) {
  const policy = ladderFor(ctx.config, ctx.targets.get(p.chainId, p.target.address))
  const existing = await ctx.store.getEscalation(p.id)
  if (!policy.enabled || existing?.status === 'open') return undefined
  return escalateNow(existing, p.id, p.level ?? level, policy, now)
}
