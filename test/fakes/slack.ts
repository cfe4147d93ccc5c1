import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// A Slack incoming webhook on loopback. It checks what Slack checks before posting (a text or
// blocks, known block types, Block Kit's size limits) and answers as Slack does: 200 `ok`, or
// an HTTP error with a one-word reason as plain text (`invalid_blocks`, `no_text`, …).

export type SlackBlock = {
  type: string
  text?: { type: string; text: string }
  fields?: Array<{ type: string; text: string }>
  elements?: Array<{ type: string; text?: unknown; url?: string; action_id?: string }>
}
export type SlackMessage = { text?: string; blocks?: SlackBlock[] }
export type SlackReceived = {
  at: number
  body: string
  json: SlackMessage | undefined
  status: number
  reason: string
}
export type SlackScript = { status: number; body: string; headers?: Record<string, string> }

const BLOCK_TYPES = new Set(['header', 'section', 'context', 'actions', 'divider', 'image', 'rich_text'])

/** Why Slack would refuse this message, or undefined when it would post it. */
export function slackRefusal(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return 'invalid_payload'
  const m = json as SlackMessage
  const hasText = typeof m.text === 'string' && m.text.trim() !== ''
  if (!hasText && !(Array.isArray(m.blocks) && m.blocks.length > 0)) return 'no_text'
  if (m.text !== undefined && (typeof m.text !== 'string' || m.text.length > 40_000)) return 'invalid_payload'
  if (m.blocks === undefined) return undefined
  if (!Array.isArray(m.blocks) || m.blocks.length > 50) return 'invalid_blocks'
  return m.blocks.every(validBlock) ? undefined : 'invalid_blocks'
}

const textObject = (t: unknown, max: number, kind?: string): boolean => {
  if (typeof t !== 'object' || t === null) return false
  const o = t as { type?: unknown; text?: unknown }
  if (o.type !== 'plain_text' && o.type !== 'mrkdwn') return false
  if (kind && o.type !== kind) return false
  return typeof o.text === 'string' && o.text.length >= 1 && o.text.length <= max
}

function validBlock(b: SlackBlock): boolean {
  if (typeof b !== 'object' || b === null || !BLOCK_TYPES.has(b.type)) return false
  switch (b.type) {
    case 'header':
      return textObject(b.text, 150, 'plain_text')
    case 'section': {
      if (b.text === undefined && b.fields === undefined) return false
      if (b.text !== undefined && !textObject(b.text, 3000)) return false
      if (b.fields === undefined) return true
      return (
        Array.isArray(b.fields) &&
        b.fields.length >= 1 &&
        b.fields.length <= 10 &&
        b.fields.every((f) => textObject(f, 2000))
      )
    }
    case 'context':
      return (
        Array.isArray(b.elements) &&
        b.elements.length >= 1 &&
        b.elements.length <= 10 &&
        b.elements.every((e) => e.type === 'image' || textObject(e, 3000))
      )
    case 'actions':
      return (
        Array.isArray(b.elements) &&
        b.elements.length >= 1 &&
        b.elements.length <= 25 &&
        b.elements.every(
          (e) =>
            e.type === 'button' &&
            textObject(e.text, 75, 'plain_text') &&
            (e.url === undefined || (e.url.length <= 3000 && /^https?:\/\//.test(e.url))) &&
            (e.action_id === undefined || e.action_id.length <= 255),
        )
      )
    default:
      return true
  }
}

/** Starts the fake; `url` is the webhook (other paths answer 404 `no_service`, as a revoked hook does). */
export async function startSlackFake() {
  const received: SlackReceived[] = []
  const script: SlackScript[] = []
  const path = '/services/T0000/B0000/SECRETxTOKENx123'
  const answer = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const send = (status: number, reason: string, headers: Record<string, string> = {}) => {
      let json: SlackMessage | undefined
      try {
        json = JSON.parse(body)
      } catch {}
      received.push({ at: Date.now(), body, json, status, reason })
      res.writeHead(status, { 'content-type': 'text/html', ...headers })
      res.end(reason)
    }
    if (req.method !== 'POST') return send(405, 'invalid_method')
    if (req.url !== path) return send(404, 'no_service')
    const next = script.shift()
    if (next) return send(next.status, next.body, next.headers)
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return send(400, 'invalid_payload')
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      return send(400, 'invalid_payload')
    }
    const refusal = slackRefusal(json)
    return refusal ? send(400, refusal) : send(200, 'ok')
  }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => answer(req, res, body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${origin}${path}`,
    origin,
    /** The secret part of the URL, to check it never leaks into an error. */
    secret: 'SECRETxTOKENx123',
    received,
    /** Answers for the next requests, in order (e.g. 429 with Retry-After). */
    script,
    /** The messages Slack would have posted. */
    posted: () => received.filter((r) => r.status === 200).map((r) => r.json as SlackMessage),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
