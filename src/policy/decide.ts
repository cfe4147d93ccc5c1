import { type Level, levelRank } from '../model/severity.js'

export type Action = 'log' | 'notify'
export type Decision = { level: Level; actions: Action[] }
export type AlertPolicy = { minLevel: Level }

/** What to do with a report: always log it; alert at or above the policy's level. Pure. */
export function decide(level: Level, policy: AlertPolicy): Decision {
  return { level, actions: levelRank(level) >= levelRank(policy.minLevel) ? ['log', 'notify'] : ['log'] }
}
