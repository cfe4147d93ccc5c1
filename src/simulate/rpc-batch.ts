// JSON-RPC batches to the upstream, for the relay's own reads (prefetching, moving forward).
// A batch is split into chunks sent side by side, so a few hundred reads cost one round trip;
// a chunk the upstream refuses as a whole (some providers cap batch sizes) makes the next
// batches smaller. Nothing here throws: a failed call is an answer with an error.

export type RpcCall = { method: string; params: unknown[] }
export type RpcReply = { result?: unknown; error?: { code?: number; message?: string } }

const MIN_CHUNK = 10

export function createRpcBatcher(url: string, timeoutMs: number, onSent: (calls: number) => void) {
  let chunk = 200
  const post = async (calls: RpcCall[]): Promise<RpcReply[]> => {
    onSent(calls.length)
    const failed = (message: string): RpcReply[] => calls.map(() => ({ error: { message } }))
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          calls.map((c, id) => ({ jsonrpc: '2.0', id, method: c.method, params: c.params })),
        ),
        signal: AbortSignal.timeout(timeoutMs),
      })
      const body = (await res.json()) as unknown
      if (!Array.isArray(body)) {
        if (calls.length > MIN_CHUNK) chunk = Math.max(MIN_CHUNK, Math.floor(calls.length / 2))
        return failed(`the upstream refused a batch of ${calls.length} (HTTP ${res.status})`)
      }
      const byId = new Map<number, RpcReply>()
      for (const r of body as Array<RpcReply & { id?: unknown }>)
        if (typeof r?.id === 'number') byId.set(r.id, r)
      return calls.map((_, id) => byId.get(id) ?? { error: { message: 'no answer in the batch' } })
    } catch (error) {
      return failed((error as Error).message)
    }
  }
  return {
    async batch(calls: RpcCall[]): Promise<RpcReply[]> {
      if (calls.length === 0) return []
      const parts: RpcCall[][] = []
      for (let i = 0; i < calls.length; i += chunk) parts.push(calls.slice(i, i + chunk))
      return (await Promise.all(parts.map(post))).flat()
    },
  }
}

export type RpcBatcher = ReturnType<typeof createRpcBatcher>

/** The upstream does not have this method (or tracer) at all, as opposed to failing this once. */
export function unsupported(reply: RpcReply): boolean {
  const e = reply.error
  if (!e) return false
  return (
    e.code === -32601 ||
    /method .*(not (found|exist|available|supported|allowed))|not supported|unsupported|does not exist|unknown (method|tracer)|tracer .*not (found|defined)|disabled|not whitelisted|not allowed/i.test(
      e.message ?? '',
    )
  )
}
