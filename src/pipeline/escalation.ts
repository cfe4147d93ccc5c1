import type { EscalationPolicy } from '../config/chat.js'
import type { Config } from '../config/schema.js'
import { type EscalationNotice, isAlert, type OutboxPayload } from '../model/alert.js'
import { climb, rungKey } from '../respond/escalation.js'
import type { WorkBatch } from '../store/types.js'
import { fanOutNotice, silencedUntil } from './chat.js'
import { type WatchContext, watchedEntry } from './context.js'

/** The ladder for a Safe: its own settings over the top-level ones. */
export function ladderFor(config: Config, chainId: number, safe: string): EscalationPolicy {
  // A Safe's, a governor's or a timelock's own settings.
  const own = watchedEntry(config, chainId, safe)?.escalation
  return {
    ...config.escalation,
    ...Object.fromEntries(Object.entries(own ?? {}).filter(([, v]) => v !== undefined)),
  }
}

/**
 * Climbs every ladder that is due: each rung (mention, page) becomes a notice for the channels
 * that take it, committed with the ladder's new row, so a crash neither skips nor repeats one.
 */
export async function climbLadders(ctx: WatchContext): Promise<number> {
  const now = ctx.clock()
  let climbed = 0
  for (const e of await ctx.store.dueEscalations(now, 50)) {
    const proposal = await ctx.store.getProposal(e.proposalId)
    if (proposal?.status !== 'pending') {
      await ctx.commit({ escalations: [{ ...e, status: 'closed' }] })
      continue
    }
    // A silence holds the ladder of a non-critical proposal until it ends.
    const until =
      e.level === 'critical' ? undefined : await silencedUntil(ctx, proposal.chainId, proposal.safe)
    if (until !== undefined) {
      await ctx.commit({ escalations: [{ ...e, nextAt: until }] })
      continue
    }
    const policy = ladderFor(ctx.config, proposal.chainId, proposal.safe)
    const { rungs, next } = climb(e, policy, now)
    const alert = (await ctx.store.latestReport(e.proposalId))?.alert as OutboxPayload | undefined
    const batch: WorkBatch = { escalations: [next], outbox: [], audit: [] }
    for (const rung of rungs) {
      const notice: EscalationNotice = {
        kind: 'escalation',
        stage: rung.stage,
        round: rung.round,
        proposalId: proposal.id,
        ref: proposal.ref,
        level: e.level,
        title:
          alert && isAlert(alert)
            ? alert.title
            : `${e.level.toUpperCase()} · ${proposal.safe} · nonce ${proposal.nonce}`,
        summary: alert && isAlert(alert) ? alert.summary : proposal.safeTxHash,
        ...(alert && isAlert(alert) && alert.link ? { link: alert.link } : {}),
        chainId: proposal.chainId,
        safe: proposal.safe,
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
    await ctx.commit(batch)
    climbed += rungs.length
  }
  return climbed
}
