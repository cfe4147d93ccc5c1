import type { Action } from '../model/action.js'
import { targetOf } from '../model/proposal.js'
import { proposalRef } from '../model/ref.js'
import type { Report } from '../model/report.js'
import { plain, reportToJson } from '../model/report-json.js'
import type { WorkBatch } from '../model/store.js'
import type { Target } from '../model/target.js'
import { alertFromReport } from '../respond/alerts.js'
import { onVerdict } from '../respond/escalation.js'
import type { WatchContext, Work } from './context.js'
import { guardianAction } from './guardian.js'
import { decideFor, ladderFor } from './policy.js'
import { silencedUntil } from './silences.js'
import { closeProposal, fanOut } from './updates.js'

// The one judge path, for every kind of proposal: the report a source's inspect produced is
// decided by the policy (the target's rules, its silence, reviewed marks), becomes an alert and
// a place on the escalation ladder, and is written with its proposal row as one batch. Vetoes
// the policy asks for are returned, to run once that batch is committed.

export type Judgement = {
  report: Report
  /** What the verdict depends on; an unchanged fingerprint is not judged again. */
  fingerprint: string
  /** Re-opened: a reorg removed the execution it was closed by. */
  reopened?: boolean
  /**
   * It had already ended on chain when custos first read it (created and executed within one
   * scan): it is stored closed, alerted as what already happened, never chased or vetoed.
   */
  ended?: { status: 'executed' | 'deleted'; text: string }
  /** What makes this alert new (default: its level): a check raised again carries its round. */
  alertKey?: string
  /** An action the source asks for whatever the level (a check's `action: pause` asks `veto`). */
  wants?: Action
}

export async function judge(ctx: WatchContext, j: Judgement): Promise<Work> {
  const { report } = j
  const { proposal } = report
  const id = proposal.id
  const chainId = proposal.chainId
  const where = targetOf(proposal.origin)
  const target: Target | undefined = ctx.targets.get(chainId, where.address)
  const level = report.risk.level

  const sim = report.simulation
  ctx.metrics.proposalsSeen.inc({ chain: String(chainId) })
  ctx.metrics.verdicts.inc({ level })
  if (sim?.ok)
    ctx.metrics.simulationSeconds.observe(
      { chain: String(chainId), outcome: 'ok' },
      sim.simulation.durationMs / 1000,
    )
  else if (sim) ctx.metrics.simulationSeconds.observe({ chain: String(chainId), outcome: 'unavailable' }, 0)

  const until = target ? await silencedUntil(ctx, target) : undefined
  const decision = await decideFor(
    ctx,
    { level, findings: report.findings },
    {
      target,
      proposalId: id,
      silencedUntil: until,
      ...(j.wants ? { wants: j.wants } : {}),
      ...(proposal.origin.kind === 'check' ? { pause: true } : {}),
    },
  )
  const dedupKey = `${id}:${j.alertKey ?? level}`
  const alert = alertFromReport(report, {
    ...(target ? { targetName: target.name } : {}),
    link: `${ctx.publicUrl}/reports/${encodeURIComponent(id)}`,
    dedupKey,
    ref: proposalRef(id),
    ...(j.ended ? { ended: j.ended.text } : {}),
    ...(target?.guard ? { guarded: true } : {}),
  })
  // Nobody is chased about, and nothing vetoes, what already ran.
  const actions = j.ended ? decision.actions.filter((a) => a === 'log' || a === 'notify') : decision.actions
  const existing = await ctx.store.getEscalation(id)
  const escalation = actions.includes('escalate')
    ? onVerdict(existing, id, level, ladderFor(ctx.config, target), ctx.clock())
    : undefined
  // The risk fell below the ladder (a provisional verdict cleared, say): nobody is chased any
  // more and pages are resolved. A silence only holds the ladder; it does not clear it.
  const stored =
    !actions.includes('escalate') && until === undefined && existing?.status === 'open'
      ? await ctx.store.getProposal(id)
      : undefined
  const clearing = stored
    ? await closeProposal(ctx, stored, 'cleared', `risk fell to ${level}: no longer chased`)
    : undefined

  const provisional = sim !== undefined && !sim.ok
  const batch: WorkBatch = {
    proposals: [
      {
        id,
        chainId,
        target: { kind: where.kind, address: where.address },
        key: where.key,
        origin: proposal.origin,
        calls: proposal.calls,
        // A simulation that did not run is tried again at the next look: its verdict is provisional.
        fingerprint: provisional ? `${j.fingerprint}:unsimulated` : j.fingerprint,
        status: 'pending',
        level,
      },
    ],
    statuses: [
      // Back to pending after a reorg removed its execution (an upsert never downgrades).
      ...(j.reopened ? [{ id, status: 'pending' as const }] : []),
      ...(j.ended ? [{ id, status: j.ended.status }] : []),
    ],
    reports: [
      {
        proposalId: id,
        fingerprint: j.fingerprint,
        level,
        score: report.risk.score,
        findings: report.findings,
        json: plain(reportToJson(report)),
        alert,
      },
    ],
    escalations: [...(escalation ? [escalation] : []), ...(clearing?.escalations ?? [])],
    outbox: [...(actions.includes('notify') ? fanOut(ctx, alert) : []), ...(clearing?.outbox ?? [])],
    // With a quorum, this replica's judgement is its vote on a veto. A protocol check gets no vote:
    // other replicas cannot judge it again yet, so its pause is escalated instead (pipeline/veto.ts).
    ...(ctx.config.veto.quorum > 1 && proposal.origin.kind !== 'check'
      ? { votes: [{ proposalId: id, level, veto: actions.includes('veto') }] }
      : {}),
    audit: [
      ...(j.reopened ? [{ actor: 'custos', action: 'reorg-recheck', subject: id }] : []),
      {
        actor: 'custos',
        action: 'report',
        subject: id,
        details: {
          level,
          score: report.risk.score,
          actions,
          ...(decision.reason ? { reason: decision.reason } : {}),
          ...(j.ended ? { ended: j.ended.text } : {}),
        },
      },
    ],
  }
  ctx.logger.info({ proposal: id, level, score: report.risk.score, actions }, 'proposal checked')
  // On a Safe that runs the custos Guard, what is not vetoed is approved or scheduled there.
  const onGuard = j.ended ? undefined : guardianAction(ctx, target, level, actions, report)
  return {
    batch,
    veto: actions.includes('veto') ? [id] : [],
    ...(onGuard ? { guardian: [{ id, action: onGuard }] } : {}),
  }
}
