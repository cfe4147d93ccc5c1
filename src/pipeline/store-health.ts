import type { Alert } from '../model/alert.js'
import type { Logger } from '../model/logger.js'
import { errorText } from '../model/redact.js'
import { levelRank } from '../model/severity.js'
import type { Store } from '../model/store.js'
import { eventAlert } from '../respond/events.js'
import type { Notifier } from '../respond/notifier.js'
import type { Metrics } from '../server/metrics.js'

/** A store with no fault for this long is healthy again. */
export const STORE_RECOVERY_MS = 60_000

// Result codes that say the store itself fails (the file, the disk, the lock, the database
// server or the way to it), as opposed to a statement custos got wrong: SQLite's, PostgreSQL's
// SQLSTATE classes 08 (connection), 53 (resources), 57P (shut down) and 58 (system), and the
// socket's.
const FAULT =
  /^(SQLITE_(CORRUPT|NOTADB|IOERR|FULL|CANTOPEN|READONLY|BUSY|LOCKED|PERM|PROTOCOL|NOMEM|AUTH)|08|53|57P|58|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE)/

export type StoreStatus = {
  ok: boolean
  /** When the current outage began (ms), while there is one. */
  failingSince?: number
  lastError?: string
  lastOperation?: string
}

/**
 * Watches every call to the store: each error is counted in /metrics, and a fault (a damaged
 * file, a failing or full disk) makes /healthz fail until none has happened for a minute. The
 * first fault of an outage is logged and announced on the channels at once, bypassing the
 * outbox, which lives in the failing store.
 */
export function monitorStore(
  store: Store,
  deps: {
    path: string
    metrics: Metrics
    logger: Logger
    /** The channels to announce an outage on (read when it happens: they are built later). */
    notifiers: () => Notifier[]
    clock?: () => number
  },
): { store: Store; status(): StoreStatus } {
  const clock = deps.clock ?? Date.now
  let failingSince: number | undefined
  let lastFault = 0
  let lastError: string | undefined
  let lastOperation: string | undefined

  const recovered = () => failingSince !== undefined && clock() - lastFault > STORE_RECOVERY_MS
  const settle = () => {
    if (!recovered()) return
    deps.logger.info({ store: deps.path, since: failingSince }, 'the store works again')
    failingSince = undefined
  }
  const failed = (operation: string, error: unknown) => {
    const code = String((error as { code?: unknown } | null)?.code ?? 'unknown')
    deps.metrics.storeErrors.inc({ operation, code })
    if (!FAULT.test(code)) return
    settle()
    lastFault = clock()
    lastError = errorText(error)
    lastOperation = operation
    if (failingSince !== undefined) return
    failingSince = lastFault
    deps.logger.error(
      { store: deps.path, operation, code, error: lastError },
      'the store is failing: custos cannot record what it sees nor queue alerts',
    )
    void announce(
      deps.notifiers(),
      eventAlert({
        level: 'critical',
        title: 'custos store failing',
        summary: `${deps.path}: ${lastError} (in ${operation}). custos cannot record proposals, cursors or alerts until the store is repaired: restore it from a backup, or stop custos and move the file aside.`,
        dedupKey: `store-failing:${failingSince}`,
        now: failingSince,
      }),
      deps.logger,
    )
  }

  const wrapped: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function') {
      wrapped[name] = value
      continue
    }
    const fn = value as (...args: unknown[]) => unknown
    wrapped[name] = (...args: unknown[]) => {
      let result: unknown
      try {
        result = fn.apply(store, args)
      } catch (error) {
        failed(name, error)
        throw error
      }
      if (!(result instanceof Promise)) return result
      return result.then(
        (v) => {
          settle()
          return v
        },
        (error) => {
          failed(name, error)
          throw error
        },
      )
    }
  }
  return {
    store: wrapped as Store,
    status: () => {
      settle()
      return failingSince === undefined
        ? { ok: true }
        : {
            ok: false,
            failingSince,
            ...(lastError ? { lastError } : {}),
            ...(lastOperation ? { lastOperation } : {}),
          }
    },
  }
}

/** Delivers an alert to every channel that takes its level, now and once: no store, no retry. */
async function announce(notifiers: Notifier[], alert: Alert, logger: Logger): Promise<void> {
  for (const n of notifiers) {
    if (levelRank(alert.level) < levelRank(n.minLevel)) continue
    try {
      await n.deliver(alert, 1)
    } catch (error) {
      logger.error({ channel: n.channel, error: errorText(error) }, 'could not announce the store failure')
    }
  }
}
