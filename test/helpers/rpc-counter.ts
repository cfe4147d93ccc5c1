import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type RpcCounter = {
  url: string
  /** JSON-RPC calls forwarded (a batch counts each of its calls), by method. */
  calls: Map<string, number>
  total(): number
  /** The most HTTP requests that were in flight at the same time. */
  maxInFlight(): number
  reset(): void
  close(): Promise<void>
}

/** A loopback proxy in front of a node that counts the JSON-RPC calls custos makes through it. */
export async function startRpcCounter(upstream: string): Promise<RpcCounter> {
  const calls = new Map<string, number>()
  let inFlight = 0
  let maxInFlight = 0
  const server: Server = createServer((req, res) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', async () => {
      try {
        const parsed = JSON.parse(body) as { method: string } | Array<{ method: string }>
        for (const c of Array.isArray(parsed) ? parsed : [parsed])
          calls.set(c.method, (calls.get(c.method) ?? 0) + 1)
        const answer = await fetch(upstream, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
        res.writeHead(answer.status, { 'content-type': 'application/json' })
        res.end(await answer.text())
      } catch (error) {
        res.writeHead(502)
        res.end(String(error))
      } finally {
        inFlight--
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    maxInFlight: () => maxInFlight,
    reset() {
      calls.clear()
      maxInFlight = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
