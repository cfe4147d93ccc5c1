import type { Logger } from '../model/logger.js'
import { errorText } from '../model/redact.js'

/** Runs `fn` on a schedule; returns a stop function. */
export type Schedule = (expression: string, fn: () => void) => () => void

/**
 * Seconds between runs of the expressions `cronFor` writes: `*\/N * * * * *` (N seconds),
 * `0 * * * * *` (a minute) and `0 *\/M * * * *` (M minutes).
 */
export function periodOf(expression: string): number {
  const every = (s: string | undefined) => (s && /^\*\/[1-9]\d*$/.test(s) ? Number(s.slice(2)) : undefined)
  const [second, minute, ...rest] = expression.trim().split(/\s+/)
  const seconds =
    rest.length === 4 && rest.every((f) => f === '*')
      ? minute === '*'
        ? second === '0'
          ? 60
          : every(second)
        : second === '0'
          ? (every(minute) ?? Number.NaN) * 60
          : undefined
      : undefined
  if (seconds === undefined || !Number.isFinite(seconds))
    throw new Error(`unsupported schedule "${expression}": expected "*/N * * * * *" or "0 */M * * * *"`)
  return seconds
}

/**
 * Runs jobs at every multiple of their interval on the wall clock (:00, :15, :30, :45 for 15 s),
 * as cron does. A run the process could not make in time (it was paused or its event loop was
 * blocked) is skipped rather than caught up, and said as a JSON log line: node-cron, used
 * before, printed plain coloured lines to stderr instead.
 */
export function createSchedule(logger: Logger, clock: () => number = Date.now): Schedule {
  return (expression, fn) => {
    const period = periodOf(expression) * 1000
    let due = (Math.floor(clock() / period) + 1) * period
    let timer: NodeJS.Timeout | undefined
    let stopped = false
    const arm = () => {
      timer = setTimeout(fire, Math.max(0, due - clock()))
    }
    const fire = () => {
      if (stopped) return
      const now = clock()
      // A timer may wake a moment before the wall clock says it is due.
      if (now < due) return arm()
      const missed = Math.floor((now - due) / period)
      if (missed > 0)
        logger.warn(
          { schedule: expression, missed },
          'scheduled runs skipped: the process was paused or its event loop blocked',
        )
      due = (Math.floor(now / period) + 1) * period
      try {
        fn()
      } catch (error) {
        logger.error({ schedule: expression, error: errorText(error) }, 'a scheduled job failed')
      }
      arm()
    }
    arm()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }
}
