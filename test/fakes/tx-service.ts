import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A fake of Safe's hosted Transaction Service, on loopback, for the endpoints api-kit calls.
 * `transactions` is served as is, so tests can make it lie; `status` forces an HTTP error.
 */
export type FakeTxService = {
  url: string
  transactions: Record<string, unknown>[]
  requests: { path: string; auth?: string }[]
  status?: number
  close(): Promise<void>
}

export async function startFakeTxService(): Promise<FakeTxService> {
  const fake: FakeTxService = { url: '', transactions: [], requests: [], close: async () => {} }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    fake.requests.push({
      path: `${url.pathname}${url.search}`,
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    })
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (fake.status) return send(fake.status, { detail: 'fake outage' })
    const list = /^\/api\/v2\/safes\/(0x[0-9a-fA-F]{40})\/multisig-transactions\/$/.exec(url.pathname)
    if (req.method === 'GET' && list) {
      const nonce = url.searchParams.get('nonce')
      const limit = Number(url.searchParams.get('limit') ?? 100)
      const offset = Number(url.searchParams.get('offset') ?? 0)
      const matching = fake.transactions.filter(
        (t) =>
          String(t.safe).toLowerCase() === list[1]?.toLowerCase() &&
          (nonce === null || String(t.nonce) === nonce),
      )
      return send(200, {
        count: matching.length,
        next: null,
        previous: null,
        results: matching.slice(offset, offset + limit),
      })
    }
    send(404, { detail: 'Not found.' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`
  fake.close = () => new Promise((resolve) => server.close(() => resolve()))
  return fake
}
