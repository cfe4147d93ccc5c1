import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { InputError } from '../model/errors.js'
import type { StoredReport } from '../model/store.js'
import type { Metrics } from './metrics.js'
import { renderReportPage } from './report-page.js'

export type HttpDeps = {
  host: string
  port: number
  metrics: Metrics
  health(): { ok: boolean; body: unknown }
  ready(): { ok: boolean; body: unknown }
  /** A report by its number, or the latest for a proposal id. */
  report(id: string): Promise<StoredReport | undefined>
  /** How the configuration names a watched address, for the report page's title. */
  targetName?(chainId: number, address: string): string | undefined
  /** POST /hooks/safe, when enabled: a bearer token, and a handler that says if the hint was taken. */
  hook?: { token: string; handle(body: unknown): boolean }
  /** A request that failed inside custos (answered 500): logged and counted by the caller. */
  onError?(error: unknown): void
}

/** /healthz, /readyz, /metrics, /reports/:id (HTML and .json) and the push hook. */
export async function startHttpServer(deps: HttpDeps): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      deps.onError?.(error)
      // Past the headers nothing can be said any more: the connection is cut instead.
      if (res.headersSent) return void res.destroy()
      send(
        res,
        500,
        'text/plain',
        `internal error: ${error instanceof Error ? error.message : String(error)}`,
      )
    })
  })
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // The request target is always a path here: a leading `//` must not be read as a host.
    const path = pathOf(req.url ?? '/')
    if (path === undefined) return send(res, 400, 'text/plain', 'malformed request path')
    // HEAD answers as GET does; node leaves the body out.
    const method = req.method === 'HEAD' ? 'GET' : req.method
    if (method === 'GET' && path === '/healthz') return json(res, deps.health())
    if (method === 'GET' && path === '/readyz') return json(res, deps.ready())
    if (method === 'GET' && path === '/metrics') {
      return send(res, 200, deps.metrics.registry.contentType, await deps.metrics.registry.metrics())
    }
    const m = /^\/reports\/([^/]+?)(\.json)?$/.exec(path)
    if (method === 'GET' && m) {
      const id = decoded(m[1] as string)
      if (id === undefined) return send(res, 400, 'text/plain', 'malformed percent-encoding in the path')
      const report = await deps.report(id)
      if (!report) return send(res, 404, 'text/plain', 'no such report')
      if (m[2]) return send(res, 200, 'application/json', JSON.stringify(report.json, null, 2))
      return send(
        res,
        200,
        'text/html; charset=utf-8',
        renderReportPage(report.json as Record<string, unknown>, {
          reportId: report.id,
          createdAt: report.createdAt,
          targetName: targetOf(report.json, deps.targetName),
        }),
        {
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        },
      )
    }
    if (req.method === 'POST' && path === '/hooks/safe' && deps.hook) {
      if (!authorized(req.headers.authorization, deps.hook.token))
        return send(res, 401, 'text/plain', 'unauthorized')
      let body: unknown
      try {
        body = JSON.parse(await readBody(req, 64 * 1024))
      } catch {
        return send(res, 400, 'text/plain', 'body must be JSON (at most 64 KiB)')
      }
      return send(res, deps.hook.handle(body) ? 202 : 404, 'text/plain', '')
    }
    send(res, 404, 'text/plain', 'not found')
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, deps.host, deps.port)))
    server.listen(deps.port, deps.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** The path of a request target, or undefined when it cannot be parsed. */
function pathOf(target: string): string | undefined {
  try {
    return new URL(`http://localhost${target.startsWith('/') ? target : `/${target}`}`).pathname
  } catch {
    return undefined
  }
}

/** A path segment with its percent-escapes decoded, or undefined when one is malformed (`%`, `%zz`). */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

const json = (res: ServerResponse, r: { ok: boolean; body: unknown }) =>
  send(res, r.ok ? 200 : 503, 'application/json', JSON.stringify(r.body))

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(body)
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '')
  const want = Buffer.from(token)
  return given.length === want.length && timingSafeEqual(given, want)
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > max) throw new Error('too large')
  }
  return body
}

/** Why the server could not listen, naming the setting to change. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const why: Record<string, string> = {
    EADDRINUSE: `server.port ${port} is already in use on ${host}`,
    EACCES: `server.port ${port} on ${host} needs privileges this user does not have (ports below 1024)`,
    EADDRNOTAVAIL: `server.host ${host} is not an address of this machine`,
    ENOTFOUND: `server.host ${host} does not resolve to an address`,
    EAI_AGAIN: `server.host ${host} does not resolve to an address`,
  }
  const message = error.code ? why[error.code] : undefined
  return message ? new InputError(message, { cause: error }) : error
}

/** The configured name of the Safe, governor or timelock a report is about. */
function targetOf(json: unknown, lookup: HttpDeps['targetName']): string | undefined {
  if (!lookup) return undefined
  const j = json as { chainId?: number; safe?: { address?: string }; governance?: Record<string, unknown> }
  const g = j.governance
  const address = g ? (g.flavor === 'timelock' ? g.timelock : g.governor) : j.safe?.address
  return typeof j.chainId === 'number' && typeof address === 'string' ? lookup(j.chainId, address) : undefined
}
