import type { Alert } from '../model/alert.js'
import type { Level } from '../model/severity.js'

/** A channel alerts go to. Throws DeliveryError to say whether and when to try again. */
export type Notifier = {
  channel: string
  /** Alerts below this level are not sent to this channel. */
  minLevel: Level
  deliver(alert: Alert, attempt: number): Promise<void>
}

export class DeliveryError extends Error {
  override name = 'DeliveryError'
  /** The receiver asked us to wait this long (429 retry_after / Retry-After). */
  readonly retryAfterMs: number | undefined
  /** Trying again cannot help (e.g. HTTP 400): the alert is given up and audited. */
  readonly permanent: boolean
  constructor(message: string, opts: { retryAfterMs?: number; permanent?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    this.retryAfterMs = opts.retryAfterMs
    this.permanent = opts.permanent ?? false
  }
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
