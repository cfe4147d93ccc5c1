import type { EscalationPolicy } from '../config/chat.js'
import { type Level, levelRank } from '../model/severity.js'
import type { Escalation } from '../model/store.js'

// The escalation ladder, as pure functions of the stored row and the clock: posted → (no
// acknowledgement for mentionAfter) mention and DM every signer → (pageAfter) page → (every
// repeatAfter) mention and page again, up to maxRounds. The row is persisted, so the timers
// survive restarts; a worker calls `climb` for rows that are due.

export type Rung = { stage: 'mention' | 'page'; round: number }
export type LadderPolicy = Pick<
  EscalationPolicy,
  'mentionAfterSeconds' | 'pageAfterSeconds' | 'repeatAfterSeconds' | 'maxRounds'
>

/** A new ladder for an alert just posted. */
export function begin(proposalId: string, level: Level, policy: LadderPolicy, now: number): Escalation {
  return {
    proposalId,
    level,
    stage: 'posted',
    round: 1,
    nextAt: now + policy.mentionAfterSeconds * 1000,
    status: 'open',
    startedAt: now,
  }
}

/**
 * A new verdict for a proposal: start the ladder, keep the one running (at the higher level),
 * or start again when the level rose after it had been acknowledged. Undefined: no change.
 */
export function onVerdict(
  existing: Escalation | undefined,
  proposalId: string,
  level: Level,
  policy: EscalationPolicy,
  now: number,
): Escalation | undefined {
  if (!policy.enabled || levelRank(level) < levelRank(policy.minLevel)) return undefined
  if (!existing) return begin(proposalId, level, policy, now)
  if (existing.status === 'open')
    return levelRank(level) > levelRank(existing.level) ? { ...existing, level } : undefined
  return levelRank(level) > levelRank(existing.level)
    ? begin(existing.proposalId, level, policy, now)
    : undefined
}

/** The rungs due now and the row after them. */
export function climb(e: Escalation, policy: LadderPolicy, now: number): { rungs: Rung[]; next: Escalation } {
  if (e.status !== 'open') return { rungs: [], next: e }
  switch (e.stage) {
    case 'posted':
      return {
        rungs: [{ stage: 'mention', round: e.round }],
        next: { ...e, stage: 'mentioned', nextAt: now + policy.pageAfterSeconds * 1000 },
      }
    case 'mentioned':
      return {
        rungs: [{ stage: 'page', round: e.round }],
        next: { ...e, stage: 'paged', nextAt: now + policy.repeatAfterSeconds * 1000 },
      }
    case 'paged': {
      if (e.round >= policy.maxRounds) return { rungs: [], next: { ...e, status: 'exhausted' } }
      const round = e.round + 1
      return {
        rungs: [
          { stage: 'mention', round },
          { stage: 'page', round },
        ],
        next: { ...e, round, nextAt: now + policy.repeatAfterSeconds * 1000 },
      }
    }
  }
}

/**
 * A signer pressed Escalate: a new ladder whose first rung (mention) is due now, whatever state
 * the old one was in (even exhausted). Its `startedAt` is new, and rung keys carry it, so its
 * notices are never taken for the old ladder's.
 */
export function escalateNow(
  existing: Escalation | undefined,
  proposalId: string,
  level: Level,
  policy: LadderPolicy,
  now: number,
): Escalation {
  const start = existing && existing.startedAt >= now ? existing.startedAt + 1 : now
  return { ...begin(proposalId, existing?.level ?? level, policy, start), nextAt: now }
}

/** The dedup key of a rung: per ladder (its start), round and stage. */
export const rungKey = (e: Escalation, rung: Rung) =>
  `${e.proposalId}:escalation:${e.startedAt}:${rung.round}:${rung.stage}`
