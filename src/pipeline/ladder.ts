import { type EscalationNotice, isAlert, type OutboxPayload } from '../model/alert.js'
import type { WorkBatch } from '../model/store.js'
import { climb, rungKey } from '../respond/escalation.js'
import type { WatchContext } from './context.js'
import { ladderFor } from './policy.js'
import { silencedUntil } from './silences.js'
import { fanOutNotice, proposalName } from './updates.js'

/**
 * Climbs every ladder that is due: each rung (mention, page) becomes a notice for the channels
 * that take it, committed with the ladder's new row, so a crash neither skips nor repeats one.
 */
export async function climbLadders(ctx: WatchContext): Promise<number> {
  const now = ctx.clock()
  let climbed = 0
  for (const e of await ctx.store.dueEscalations(now, 50)) {
    const proposal = await ctx.store.getProposal(e.proposalId)
    // Every write below is made only if the row is still the one read: a signer may acknowledge
    // while this climbs (the reads between are awaits), and that must stand.
    if (proposal?.status !== 'pending') {
      await ctx.commit({ escalations: [{ ...e, status: 'closed' }], ifEscalation: e })
      continue
    }
    const target = ctx.targets.get(proposal.chainId, proposal.target.address)
    // A silence holds the ladder of a non-critical proposal until it ends.
    const until = e.level === 'critical' || !target ? undefined : await silencedUntil(ctx, target)
    if (until !== undefined) {
      await ctx.commit({ escalations: [{ ...e, nextAt: until }], ifEscalation: e })
      continue
    }
    const policy = ladderFor(ctx.config, target)
    const { rungs, next } = climb(e, policy, now)
    const alert = (await ctx.store.latestReport(e.proposalId))?.alert as OutboxPayload | undefined
    const batch: WorkBatch = { escalations: [next], outbox: [], audit: [], ifEscalation: e }
    for (const rung of rungs) {
      const notice: EscalationNotice = {
        kind: 'escalation',
        stage: rung.stage,
        round: rung.round,
        proposalId: proposal.id,
        ref: proposal.ref,
        level: e.level,
        title:
          alert && isAlert(alert) ? alert.title : `${e.level.toUpperCase()} · ${proposalName(ctx, proposal)}`,
        summary: alert && isAlert(alert) ? alert.summary : proposal.id,
        ...(alert && isAlert(alert) && alert.link ? { link: alert.link } : {}),
        chainId: proposal.chainId,
        ...(proposal.target.kind === 'safe' ? { safe: proposal.target.address } : {}),
        signers: ctx.config.signers.map((s) => ({
          name: s.name,
          address: s.address,
          ...(s.discord ? { discord: s.discord } : {}),
          ...(s.telegram ? { telegram: s.telegram } : {}),
        })),
        unacknowledgedSeconds: Math.round((now - e.startedAt) / 1000),
        dedupKey: rungKey(e, rung),
        createdAt: new Date(now).toISOString(),
      }
      batch.outbox?.push(...fanOutNotice(ctx, notice))
      // Each signer's DM is a row of its own: one that fails is retried alone, and a retry never
      // mentions the channel or DMs the others again.
      if (rung.stage === 'mention' && ctx.notifiers.some((n) => n.channel === 'discord'))
        for (const s of notice.signers)
          if (s.discord)
            batch.outbox?.push({
              channel: 'discord',
              dedupKey: `${notice.dedupKey}:dm:${s.discord}`,
              payload: { ...notice, dedupKey: `${notice.dedupKey}:dm:${s.discord}`, dmTo: s.discord },
            })
      batch.audit?.push({
        actor: 'custos',
        action: rung.stage === 'page' ? 'escalation-paged' : 'escalation-mentioned',
        subject: proposal.id,
        details: { round: rung.round, channels: fanOutNotice(ctx, notice).map((o) => o.channel) },
      })
    }
    if (next.status === 'exhausted')
      batch.audit?.push({
        actor: 'custos',
        action: 'escalation-exhausted',
        subject: proposal.id,
        details: { rounds: e.round },
      })
    if ((await ctx.commit(batch)).applied) climbed += rungs.length
  }
  return climbed
}
