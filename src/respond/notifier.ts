import type { EscalationNotice, OutboxPayload, ProposalUpdate } from '../model/alert.js'
import { errorText, redactUrls } from '../model/redact.js'
import type { Level } from '../model/severity.js'

/** A message a channel posted, so that later updates can edit it (`channelId:messageId`). */
export type DeliveryReceipt = { ref: string }

/** A channel alerts go to. Throws DeliveryError to say whether and when to try again. */
export type Notifier = {
  channel: string
  /** Alerts below this level are not sent to this channel. */
  minLevel: Level
  /**
   * Which proposal updates and escalation notices this channel takes (none when absent).
   * Alerts are taken by level alone.
   */
  accepts?(payload: ProposalUpdate | EscalationNotice): boolean
  deliver(payload: OutboxPayload, attempt: number): Promise<DeliveryReceipt | undefined>
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

/**
 * Posts JSON and turns the answer into success or a DeliveryError: 429 and 5xx are retried
 * (never sooner than Retry-After or a JSON `retry_after` / `parameters.retry_after`), a
 * request the receiver calls malformed (400, 413, 422) is given up, redirects are refused.
 */
export async function postJson(
  what: string,
  url: string,
  body: unknown,
  opts: {
    headers?: Record<string, string>
    timeoutMs?: number
    ok?: (status: number, text: string) => boolean
  } = {},
): Promise<{ status: number; text: string }> {
  let res: Response
  try {
    res = await fetch(url, {
      redirect: 'manual',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'custos', ...opts.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    })
  } catch (cause) {
    throw new DeliveryError(`${what}: ${redactUrls((cause as Error).message)}`, { cause })
  }
  const text = await res.text().catch(() => '')
  if (res.ok && (opts.ok?.(res.status, text) ?? true)) return { status: res.status, text }
  if (res.status >= 300 && res.status < 400) {
    throw new DeliveryError(
      `${what}: HTTP ${res.status} redirect to ${redactUrls(res.headers.get('location') ?? '?')}: set the final URL in the config`,
      { permanent: true },
    )
  }
  const wait = retryAfterMs(res.headers.get('retry-after')) ?? bodyRetryAfter(text)
  const permanent = res.status === 400 || res.status === 413 || res.status === 422
  throw new DeliveryError(`${what}: HTTP ${res.status}${detail(text)}`, {
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    permanent,
  })
}

/** `retry_after` in a JSON error body (Discord: seconds; Telegram: parameters.retry_after). */
function bodyRetryAfter(text: string): number | undefined {
  try {
    const j = JSON.parse(text) as { retry_after?: unknown; parameters?: { retry_after?: unknown } }
    const s = Number(j.retry_after ?? j.parameters?.retry_after)
    return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined
  } catch {
    return undefined
  }
}

const detail = (text: string) => {
  const t = text.replace(/\s+/g, ' ').trim().slice(0, 200)
  return t && t !== '{}' ? ` (${t})` : ''
}

/**
 * A delivery error rebuilt without `secret` (a token, a routing key, a webhook URL that is
 * itself the credential) and without its cause, which may hold the request URL: secrets must
 * not reach an error message, a log or the audit. Other errors become delivery errors too.
 */
export function withoutSecret(error: unknown, secret: string): DeliveryError {
  const scrub = (s: string) => (secret ? s.split(secret).join('…') : s)
  if (!(error instanceof DeliveryError)) return new DeliveryError(scrub(redactUrls(errorText(error))))
  return new DeliveryError(scrub(error.message), {
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    permanent: error.permanent,
  })
}
