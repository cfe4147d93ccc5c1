import type { Alert } from '../model/alert.js'
import { levelRank } from '../model/severity.js'
import type { WorkBatch } from '../store/types.js'
import type { WatchContext } from './context.js'

/** One outbox row per channel whose minimum level the alert reaches (the same dedup key on each). */
export function fanOut(ctx: Pick<WatchContext, 'notifiers'>, alert: Alert): NonNullable<WorkBatch['outbox']> {
  return ctx.notifiers
    .filter((n) => levelRank(alert.level) >= levelRank(n.minLevel))
    .map((n) => ({ channel: n.channel, dedupKey: alert.dedupKey, payload: alert }))
}
