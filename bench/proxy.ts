import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A JSON-RPC proxy on loopback that counts the requests it forwards (a batch counts each call)
 * and can add latency, to stand for a remote RPC provider. It also notes when each HTTP exchange
 * began and ended, to count the round trips made one after the other.
 */
export type CountingProxy = {
  url: string
  delayMs: number
  count: number
  methods: Map<string, number>
  exchanges: Array<{ start: number; end: number }>
  close(): Promise<void>
}

/**
 * Round trips made one after another among `exchanges`: the longest chain of exchanges where
 * each starts after the previous one ended (exchanges that overlap ran side by side).
 */
export function serialRoundTrips(exchanges: Array<{ start: number; end: number }>): number {
  let n = 0
  let last = Number.NEGATIVE_INFINITY
  for (const e of [...exchanges].sort((a, b) => a.end - b.end))
    if (e.start >= last) {
      n++
      last = e.end
    }
  return n
}

export async function startProxy(upstream: string, delayMs = 0): Promise<CountingProxy> {
  const target = new URL(upstream)
  const proxy: CountingProxy = {
    url: '',
    delayMs,
    count: 0,
    methods: new Map(),
    exchanges: [],
    close: async () => {},
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const exchange = { start: performance.now(), end: Number.POSITIVE_INFINITY }
      proxy.exchanges.push(exchange)
      res.on('finish', () => {
        exchange.end = performance.now()
      })
      const body = Buffer.concat(chunks)
      try {
        const parsed = JSON.parse(body.toString('utf8'))
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
          proxy.count++
          proxy.methods.set(call.method, (proxy.methods.get(call.method) ?? 0) + 1)
        }
      } catch {
        proxy.count++
      }
      setTimeout(() => {
        const up = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': body.length },
          },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, { 'content-type': 'application/json' })
            upRes.pipe(res)
          },
        )
        up.on('error', () => {
          res.writeHead(502)
          res.end()
        })
        up.end(body)
      }, proxy.delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()))
  return proxy
}
