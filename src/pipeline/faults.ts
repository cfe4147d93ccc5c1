import type { Logger } from '../model/logger.js'
import { errorText } from '../model/redact.js'
import type { Metrics } from '../server/metrics.js'

/** How often one failing task is logged; every failure is counted. */
const LOG_EVERY_MS = 60_000

/** Reports a failed background task; nothing that fails in the background may fail silently. */
export type FaultReporter = (task: string, error: unknown) => void

/**
 * Counts every failure of a background task (custos_task_errors_total{task}) and logs it,
 * once a minute per task with the number of failures since: a task failing on every tick is
 * one line a minute, not one a second.
 */
export function createFaultReporter(
  logger: Logger,
  metrics: Pick<Metrics, 'taskErrors'>,
  clock: () => number = Date.now,
): FaultReporter {
  const last = new Map<string, { at: number; since: number }>()
  return (task, error) => {
    metrics.taskErrors.inc({ task })
    const now = clock()
    const seen = last.get(task)
    if (seen && now - seen.at < LOG_EVERY_MS) {
      seen.since++
      return
    }
    last.set(task, { at: now, since: 0 })
    logger.error(
      { task, error: errorText(error), ...(seen?.since ? { failuresSinceLastLine: seen.since } : {}) },
      `${task} failed`,
    )
  }
}
