import type { Config } from '../config/schema.js'
import type { Logger } from '../model/logger.js'
import type { Store, WorkBatch } from '../model/store.js'
import { eventAlert } from '../respond/events.js'
import type { Notifier } from '../respond/notifier.js'
import { createOutboxWorker } from '../respond/outbox.js'
import type { Metrics } from '../server/metrics.js'
import type { FaultReporter } from './faults.js'
import { fanOut } from './updates.js'

/** The outbox worker of the watch loop: delivery, with what custos says when delivery fails. */
export function createDelivery(deps: {
  config: Config
  store: Store
  metrics: Metrics
  logger: Logger
  notifiers: Notifier[]
  clock: () => number
  commit(batch: WorkBatch): Promise<unknown>
  fault: FaultReporter
}) {
  const { store, metrics, logger, clock } = deps
  return createOutboxWorker(store, deps.notifiers, {
    ...deps.config.outbox,
    clock,
    onDelivered: (channel) => metrics.alertsDelivered.inc({ channel }),
    // An alert a channel gave up on is itself an alert, on the other channels.
    onGivenUp: (row, error) => {
      metrics.alertsDead.inc({ channel: row.channel })
      const alert = eventAlert({
        level: 'high',
        title: `alert undeliverable on ${row.channel}`,
        summary: `"${(row.payload as { title?: string }).title ?? row.dedupKey}" could not be delivered to ${row.channel}: ${error}`,
        dedupKey: `undeliverable:${row.channel}:${row.dedupKey}`,
        now: clock(),
      })
      const outbox = fanOut(deps, alert).filter((o) => o.channel !== row.channel)
      if (outbox.length)
        void deps
          .commit({ outbox })
          .catch((e) =>
            logger.error(
              { channel: row.channel, error: String(e) },
              'could not queue the undeliverable alert',
            ),
          )
    },
    // A ladder's notice that waited out a retry after the ladder was acknowledged, restarted or
    // closed would call people for nothing.
    stale: async (row) => {
      const p = row.payload as { kind?: string; proposalId?: string; dedupKey?: string }
      if (p.kind !== 'escalation' || !p.proposalId) return undefined
      const e = await store.getEscalation(p.proposalId)
      if (e?.status !== 'open') return 'the ladder is no longer open'
      return p.dedupKey?.includes(`:escalation:${e.startedAt}:`) ? undefined : 'a newer ladder replaced it'
    },
    onError: (error) => deps.fault('alert delivery round', error),
    onFailed: (channel, error, final) =>
      logger.warn({ channel, error, final }, final ? 'alert given up' : 'alert delivery failed; will retry'),
  })
}
