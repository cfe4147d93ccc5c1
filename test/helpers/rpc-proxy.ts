import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// A JSON-RPC node on loopback in front of the lab that lacks some methods (answers them as geth
// answers a method it does not have) or alters some answers: a node custos does not control.

export type Call = { jsonrpc?: string; id?: unknown; method: string; params?: unknown[] }

export type RpcProxy = {
  url: string
  /** Calls seen, by method (a batch counts each call). */
  methods: Map<string, number>
  /** Every call seen, in order. */
  calls: Call[]
  close(): Promise<void>
}

export async function startRpcProxy(
  upstream: string,
  opts: {
    refuse?: string[]
    alter?: (call: Call, result: unknown) => unknown
    /** Calls the node fails at the transport level (HTTP 503, no JSON-RPC answer), as an overloaded node does. */
    fail?: (call: Call) => boolean
  } = {},
): Promise<RpcProxy> {
  const methods = new Map<string, number>()
  const calls: Call[] = []
  const refused = new Set(opts.refuse ?? [])
  const answer = async (call: Call) => {
    methods.set(call.method, (methods.get(call.method) ?? 0) + 1)
    calls.push(call)
    if (refused.has(call.method))
      return {
        jsonrpc: '2.0',
        id: call.id ?? null,
        error: { code: -32601, message: `the method ${call.method} does not exist/is not available` },
      }
    const res = await fetch(upstream, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call),
    })
    const reply = (await res.json()) as { result?: unknown }
    return 'result' in reply && opts.alter ? { ...reply, result: opts.alter(call, reply.result) } : reply
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call | Call[]
      if (opts.fail && (Array.isArray(parsed) ? parsed : [parsed]).some(opts.fail)) {
        res.writeHead(503, { 'content-type': 'text/plain' })
        res.end('service unavailable')
        return
      }
      const out = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(out))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    methods,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
