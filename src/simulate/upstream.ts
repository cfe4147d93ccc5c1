import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A loopback relay between a fork and its upstream RPC. anvil takes the upstream URL on its
 * command line, where any local user can read it (ps, /proc); the relay keeps a URL that
 * carries a key inside this process, and counts the requests the fork sends upstream.
 */
export type UpstreamRelay = { url: string; requests: () => number; close(): Promise<void> }

export async function startUpstreamRelay(upstream: string, timeoutMs: number): Promise<UpstreamRelay> {
  let requests = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      try {
        const parsed = JSON.parse(body.toString('utf8'))
        requests += Array.isArray(parsed) ? parsed.length : 1
      } catch {
        requests++
      }
      fetch(upstream, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      })
        .then(async (up) => {
          const text = await up.text()
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' })
          res.end(text)
        })
        .catch(() => {
          res.writeHead(502, { 'content-type': 'application/json' })
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: null,
              error: { code: -32603, message: 'upstream unreachable' },
            }),
          )
        })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
