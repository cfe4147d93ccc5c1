import { type Level, levelRank } from '../model/severity.js'

export type Action = 'log' | 'notify' | 'escalate'
export type Decision = { level: Level; actions: Action[]; reason?: string }
export type AlertPolicy = { minLevel: Level }
export type DecideContext = {
  /** A signer silenced the Safe from chat (until when, ms). */
  silencedUntil?: number
  /** The escalation ladder that applies to this Safe. */
  escalation?: { enabled: boolean; minLevel: Level }
}

/**
 * What to do with a report: always log it; alert at or above the policy's level; start the
 * escalation ladder at or above its level. A silence mutes everything below critical: a
 * critical report always goes out and is always chased. Pure.
 */
export function decide(level: Level, policy: AlertPolicy, context: DecideContext = {}): Decision {
  const at = (min: Level) => levelRank(level) >= levelRank(min)
  if (!at(policy.minLevel)) return { level, actions: ['log'] }
  if (context.silencedUntil !== undefined && level !== 'critical')
    return {
      level,
      actions: ['log'],
      reason: `silenced until ${new Date(context.silencedUntil).toISOString()}`,
    }
  const esc = context.escalation
  return {
    level,
    actions: esc?.enabled && at(esc.minLevel) ? ['log', 'notify', 'escalate'] : ['log', 'notify'],
  }
}
