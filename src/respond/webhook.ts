import { createHmac } from 'node:crypto'
import type { Level } from '../model/severity.js'
import { type Notifier, postJson } from './notifier.js'

/**
 * POSTs each payload as JSON: `{ type: 'alert', alert, attempt }`, and proposal updates and
 * escalation notices as `{ type: 'update', update }` / `{ type: 'escalation', escalation }`.
 * `X-Custos-Signature: sha256=<hex>` is an HMAC-SHA256 over `<timestamp>.<body>` with the
 * shared secret, and `X-Custos-Timestamp` lets the receiver refuse replays; `Idempotency-Key`
 * carries the dedup key so a repeat delivery can be dropped.
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
    accepts: () => true,
    async deliver(payload, attempt) {
      const type = payload.kind === 'update' || payload.kind === 'escalation' ? payload.kind : 'alert'
      const body = JSON.stringify({ type, [type]: payload, attempt })
      const timestamp = Math.floor(Date.now() / 1000).toString()
      const headers: Record<string, string> = {
        'idempotency-key': payload.dedupKey,
        'x-custos-timestamp': timestamp,
      }
      if (opts.secret) headers['x-custos-signature'] = `sha256=${signWebhook(opts.secret, timestamp, body)}`
      // Only a request the receiver says is malformed is given up at once; 401/403/404 can be a
      // rotation or a deploy in progress, and a critical alert deserves the retries.
      await postJson(`webhook ${opts.name}`, opts.url, body, {
        headers,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      })
      return undefined
    },
  }
}

export const signWebhook = (secret: string, timestamp: string, body: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
