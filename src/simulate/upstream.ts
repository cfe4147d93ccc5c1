import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPrefetcher, type PrefetchStats } from './prefetch.js'
import { createRpcBatcher, type RpcReply } from './rpc-batch.js'
import { blockOf, createStateCache, parseRead, type StateRead } from './state-cache.js'

/**
 * A loopback relay between a fork and its upstream RPC. anvil takes the upstream URL on its
 * command line, where any local user can read it (ps, /proc); the relay keeps a URL that
 * carries a key inside this process, and counts the requests the fork sends upstream.
 *
 * With `prefetch`, it also answers anvil's state reads from a per-block cache that prefetching
 * fills (see prefetch.ts), and moves to a newer block by fetching again, in batches, the state
 * anvil needed at the old one.
 */
export type UpstreamRelay = {
  url: string
  /** Requests sent upstream so far (each call of a batch counts). */
  requests: () => number
  /** custos is sending `method(params)` to the fork; the returned function says it is over. */
  expect(method: string, params: unknown[]): () => void
  /**
   * Readies the move to the upstream's latest block: the state anvil needed at the current block
   * is fetched again there, in batches. Returns that block (undefined without prefetching, or
   * when the upstream cannot say), at which the fork is then reset.
   */
  advance(): Promise<bigint | undefined>
  stats(): RelayStats
  close(): Promise<void>
}

export type RelayStats = PrefetchStats & {
  /** State reads anvil made, and those answered without going upstream. */
  reads: number
  hits: number
}

type Call = { jsonrpc?: string; id?: unknown; method?: unknown; params?: unknown }

const MAX_CACHE_BYTES = 64 * 2 ** 20

export async function startUpstreamRelay(
  upstream: string,
  timeoutMs: number,
  options: { prefetch?: boolean } = {},
): Promise<UpstreamRelay> {
  let requests = 0
  const prefetching = options.prefetch ?? false
  const rpc = createRpcBatcher(upstream, timeoutMs, (n) => {
    requests += n
  })
  const cache = createStateCache(MAX_CACHE_BYTES)
  const prefetcher = createPrefetcher(rpc, cache)
  // Answers that do not change at a given block: the chain id, and the fork block's header.
  let chainId: unknown
  const blocks = new Map<string, unknown>()
  let reads = 0
  let hits = 0

  const forward = async (body: Buffer | string): Promise<{ status: number; type: string; text: string }> => {
    try {
      const up = await fetch(upstream, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      })
      return {
        status: up.status,
        type: up.headers.get('content-type') ?? 'application/json',
        text: await up.text(),
      }
    } catch {
      return {
        status: 502,
        type: 'application/json',
        text: JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32603, message: 'upstream unreachable' },
        }),
      }
    }
  }

  // A block by number, as anvil reads the fork block; a handful are kept.
  const blockKey = (params: unknown) => {
    const n = Array.isArray(params) ? blockOf(params[0]) : undefined
    return n === undefined ? undefined : `${n}:${(params as unknown[])[1] === true}`
  }
  const keepBlock = (key: string, value: unknown) => {
    if (value === null || value === undefined) return
    blocks.delete(key)
    blocks.set(key, value)
    if (blocks.size > 8) blocks.delete(blocks.keys().next().value as string)
  }

  /** The cached answer to one call, if there is one (`count`: a read anvil made, for the stats). */
  const local = (c: Call, count = true): unknown => {
    if (c.method === 'eth_chainId') return chainId
    if (c.method === 'eth_getBlockByNumber') {
      const k = blockKey(c.params)
      return k ? blocks.get(k) : undefined
    }
    const read = parseRead(String(c.method), c.params)
    if (!read) return undefined
    const hit = cache.answer(read)
    if (count) reads++
    if (hit !== undefined) hits++
    return hit
  }
  /** Keeps an upstream answer that the cache can serve again. */
  const keep = (c: Call, reply: RpcReply) => {
    if (c.method === 'eth_getAccountInfo') prefetcher.noteAccountInfo('result' in reply)
    if (!('result' in reply)) return
    if (c.method === 'eth_chainId') chainId = reply.result
    const k = c.method === 'eth_getBlockByNumber' ? blockKey(c.params) : undefined
    if (k) keepBlock(k, reply.result)
    const read = parseRead(String(c.method), c.params)
    if (read) cache.put(read, reply.result)
  }

  const serve = async (body: Buffer): Promise<{ status: number; type: string; text: string }> => {
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      requests++
      return forward(body)
    }
    const calls = (Array.isArray(parsed) ? parsed : [parsed]) as Call[]
    if (!prefetching || calls.length === 0) {
      requests += Math.max(1, calls.length)
      return forward(body)
    }
    const answers: unknown[] = calls.map((c) => local(c))
    const misses = calls
      .map((c, i) => (answers[i] === undefined ? parseRead(String(c.method), c.params) : undefined))
      .filter((r): r is StateRead => r !== undefined && r.block === cache.block())
    if (misses.length) {
      await prefetcher.missed(misses)
      calls.forEach((c, i) => {
        if (answers[i] === undefined) answers[i] = local(c, false)
      })
    }
    const rest = calls.filter((_, i) => answers[i] === undefined)
    if (rest.length === 0 || Array.isArray(parsed)) {
      const replies = rest.length
        ? await rpc.batch(rest.map((c) => ({ method: String(c.method), params: c.params as unknown[] })))
        : []
      rest.forEach((c, i) => {
        keep(c, replies[i] ?? {})
      })
      let next = 0
      const out = calls.map((c, i) =>
        answers[i] !== undefined
          ? { jsonrpc: '2.0', id: c.id ?? null, result: answers[i] }
          : { jsonrpc: '2.0', id: c.id ?? null, ...replies[next++] },
      )
      return {
        status: 200,
        type: 'application/json',
        text: JSON.stringify(Array.isArray(parsed) ? out : out[0]),
      }
    }
    // One call the cache cannot answer: relayed as it is, and its answer kept.
    requests++
    const up = await forward(body)
    try {
      keep(calls[0] as Call, JSON.parse(up.text) as RpcReply)
    } catch {
      // not JSON-RPC: nothing to keep
    }
    return up
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void serve(Buffer.concat(chunks)).then(
        ({ status, type, text }) => {
          res.writeHead(status, { 'content-type': type })
          res.end(text)
        },
        (error: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: null,
              error: { code: -32603, message: `the relay failed: ${error.message}` },
            }),
          )
        },
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    expect: (method, params) => (prefetching ? prefetcher.expect(method, params) : () => {}),
    async advance() {
      if (!prefetching) return undefined
      const [head] = await rpc.batch([{ method: 'eth_getBlockByNumber', params: ['latest', false] }])
      const number = (head?.result as { number?: unknown } | undefined)?.number
      const block = blockOf(number)
      if (block === undefined) return undefined
      // Another block (newer, or older when the node answering lags): what was needed is read there.
      const moved = cache.block() !== block
      const needed = moved ? cache.usedKeys() : []
      if (moved) cache.switchTo(block)
      keepBlock(`${block}:false`, head?.result)
      const [full] = await prefetcher.fetchKeys(needed, block, [
        { method: 'eth_getBlockByNumber', params: [number, true] },
      ])
      if (full && 'result' in full) keepBlock(`${block}:true`, full.result)
      return block
    },
    stats: () => ({ ...prefetcher.stats(), reads, hits }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
