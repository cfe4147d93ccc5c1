import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Received = {
  at: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: {
    type: 'alert' | 'update' | 'escalation'
    alert: { dedupKey: string; level: string; title: string; summary: string }
    update?: { proposalId: string; event: string; text: string }
    escalation?: { proposalId: string; stage: string; round: number }
    attempt: number
  }
}

/**
 * A webhook receiver on loopback: records every request, answers with the scripted statuses
 * first (e.g. 429 with a Retry-After), then 200. `unique()` is what a receiver that drops
 * repeats by Idempotency-Key would show.
 */
export async function startWebhookReceiver() {
  const received: Received[] = []
  const script: Array<{ status: number; headers?: Record<string, string> }> = []
  let delayMs = 0
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', async () => {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs))
      const next = script.shift() ?? { status: 200 }
      if (next.status === 200)
        received.push({ at: Date.now(), headers: req.headers, body, json: JSON.parse(body) })
      else
        received.push({
          at: Date.now(),
          headers: req.headers,
          body,
          json: { ...JSON.parse(body), rejected: next.status },
        })
      res.writeHead(next.status, { 'content-type': 'application/json', ...(next.headers ?? {}) })
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  return {
    url,
    received,
    script,
    /** Alerts accepted (proposal updates and escalation notices are in `others`). */
    accepted: () => received.filter((r) => !('rejected' in r.json) && r.json.type === 'alert'),
    others: () => received.filter((r) => !('rejected' in r.json) && r.json.type !== 'alert'),
    unique: () => [
      ...new Set(
        received
          .filter((r) => !('rejected' in r.json) && r.json.type === 'alert')
          .map((r) => r.headers['idempotency-key'] as string),
      ),
    ],
    /** Answers every request this much later (a slow receiver: a send takes a while). */
    slow(ms: number) {
      delayMs = ms
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
