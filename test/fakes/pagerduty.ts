import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// PagerDuty's Events API v2 on loopback (POST /v2/enqueue). It validates events as PagerDuty
// documents them, answers 202 `{status:'success', message:'Event processed', dedup_key}` or
// 400 `{status:'invalid event', message:'Event object is invalid', errors:[…]}`, and keeps the
// incidents the events open and resolve, by dedup key.

export type PagerDutyEvent = {
  routing_key?: string
  event_action?: string
  dedup_key?: string
  payload?: {
    summary?: string
    source?: string
    severity?: string
    timestamp?: string
    component?: string
    group?: string
    class?: string
    custom_details?: Record<string, unknown>
  }
  links?: Array<{ href?: string; text?: string }>
}
export type PagerDutyReceived = { at: number; json: PagerDutyEvent | undefined; status: number; body: string }
export type PagerDutyScript = { status: number; body?: unknown; headers?: Record<string, string> }

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info'])
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve'])

/** What PagerDuty would object to in an event (empty when it would accept it). */
export function pagerDutyErrors(e: PagerDutyEvent, routingKey: string): string[] {
  const errors: string[] = []
  // The real API wants a 32-character integration key; the fake knows only the one it was given.
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32 || e.routing_key !== routingKey)
    errors.push("'routing_key' is invalid")
  if (!ACTIONS.has(String(e.event_action))) errors.push("'event_action' is invalid")
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255))
    errors.push("'dedup_key' is invalid: at most 255 characters")
  if (e.event_action !== 'trigger' && typeof e.dedup_key !== 'string') errors.push("'dedup_key' is missing")
  if (e.event_action === 'trigger') {
    const p = e.payload
    if (!p) errors.push("'payload' is missing")
    else {
      if (typeof p.summary !== 'string' || p.summary.length < 1 || p.summary.length > 1024)
        errors.push("'payload.summary' is invalid: 1 to 1024 characters")
      if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing")
      if (!SEVERITIES.has(String(p.severity))) errors.push("'payload.severity' is invalid")
      if (p.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp)))
        errors.push("'payload.timestamp' is invalid")
      for (const k of ['component', 'group', 'class'] as const)
        if (p[k] !== undefined && typeof p[k] !== 'string') errors.push(`'payload.${k}' is invalid`)
    }
    for (const l of e.links ?? []) if (typeof l.href !== 'string') errors.push("'links.href' is missing")
  }
  return errors
}

export async function startPagerDutyFake(opts: { routingKey: string }) {
  const received: PagerDutyReceived[] = []
  const script: PagerDutyScript[] = []
  /** Incidents by dedup key: triggered until a resolve comes; `alerts` counts the triggers folded in. */
  const incidents = new Map<string, { status: 'triggered' | 'resolved'; alerts: number; summary: string }>()
  let generated = 0
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      let json: PagerDutyEvent | undefined
      try {
        json = JSON.parse(body)
      } catch {}
      const send = (status: number, out: unknown, headers: Record<string, string> = {}) => {
        received.push({ at: Date.now(), json, status, body })
        res.writeHead(status, { 'content-type': 'application/json', ...headers })
        res.end(JSON.stringify(out))
      }
      const invalid = (errors: string[]) =>
        send(400, { status: 'invalid event', message: 'Event object is invalid', errors })
      if (req.method !== 'POST' || req.url !== '/v2/enqueue') return send(404, { status: 'not found' })
      const next = script.shift()
      if (next) return send(next.status, next.body ?? {}, next.headers)
      if (!json || typeof json !== 'object') return invalid(['Malformed JSON'])
      const errors = pagerDutyErrors(json, opts.routingKey)
      if (errors.length > 0) return invalid(errors)
      const key = json.dedup_key ?? `generated-${++generated}`
      const incident = incidents.get(key)
      if (json.event_action === 'trigger') {
        if (incident?.status === 'triggered') incident.alerts++
        else incidents.set(key, { status: 'triggered', alerts: 1, summary: json.payload?.summary ?? '' })
      } else if (json.event_action === 'resolve' && incident) incident.status = 'resolved'
      // An event for an unknown key is accepted and dropped, as PagerDuty does.
      return send(202, { status: 'success', message: 'Event processed', dedup_key: key })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${origin}/v2/enqueue`,
    received,
    script,
    incidents,
    accepted: () => received.filter((r) => r.status === 202).map((r) => r.json as PagerDutyEvent),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
