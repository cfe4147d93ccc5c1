import { createHmac } from 'node:crypto'
import type { Alert } from '../model/alert.js'
import { redactUrls } from '../model/redact.js'
import type { Level } from '../model/severity.js'
import { DeliveryError, type Notifier, retryAfterMs } from './notifier.js'

/**
 * POSTs the alert as JSON. `X-Custos-Signature: sha256=<hex>` is an HMAC-SHA256 over
 * `<timestamp>.<body>` with the shared secret, and `X-Custos-Timestamp` lets the receiver refuse
 * replays; `Idempotency-Key` carries the dedup key so a repeat delivery can be dropped.
 */
export function createWebhookNotifier(opts: {
  name: string
  url: string
  secret?: string
  minLevel: Level
  timeoutMs?: number
}): Notifier {
  return {
    channel: `webhook:${opts.name}`,
    minLevel: opts.minLevel,
    async deliver(alert: Alert, attempt: number) {
      const body = JSON.stringify({ alert, attempt })
      const timestamp = Math.floor(Date.now() / 1000).toString()
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'custos',
        'idempotency-key': alert.dedupKey,
        'x-custos-timestamp': timestamp,
      }
      if (opts.secret) headers['x-custos-signature'] = `sha256=${signWebhook(opts.secret, timestamp, body)}`
      let res: Response
      try {
        // Redirects are not followed: a POST turned into a GET would "succeed" without the alert.
        res = await fetch(opts.url, {
          redirect: 'manual',
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        })
      } catch (cause) {
        throw new DeliveryError(`webhook ${opts.name}: ${redactUrls((cause as Error).message)}`, { cause })
      }
      await res.text().catch(() => '')
      if (res.ok) return
      if (res.status >= 300 && res.status < 400) {
        throw new DeliveryError(
          `webhook ${opts.name}: HTTP ${res.status} redirect to ${redactUrls(res.headers.get('location') ?? '?')}: set the final URL in the config`,
          { permanent: true },
        )
      }
      const wait = retryAfterMs(res.headers.get('retry-after'))
      // Only a request the receiver says is malformed is given up at once; 401/403/404 can be a
      // rotation or a deploy in progress, and a critical alert deserves the retries.
      const permanent = res.status === 400 || res.status === 413 || res.status === 422
      throw new DeliveryError(`webhook ${opts.name}: HTTP ${res.status}`, {
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
        permanent,
      })
    },
  }
}

export const signWebhook = (secret: string, timestamp: string, body: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
