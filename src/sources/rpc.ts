import { createPublicClient, fallback, http, type PublicClient, type Transport, webSocket } from 'viem'

export type RpcOutcome = { index: number; ok: boolean; method: string; error?: string; last: boolean }

/**
 * A read-only client over one or more RPC URLs, failing over in order on errors and 429s
 * (never on a revert, which the next node would repeat). `onOutcome` sees every attempt, for
 * error and failover metrics. URLs are never logged.
 */
export function createRpcClient(
  urls: string[],
  { timeoutMs = 15_000, onOutcome }: { timeoutMs?: number; onOutcome?: (o: RpcOutcome) => void } = {},
): PublicClient {
  if (urls.length === 0) throw new Error('createRpcClient needs at least one URL')
  const transports: Transport[] = urls.map((url) =>
    url.startsWith('ws')
      ? webSocket(url, { timeout: timeoutMs, retryCount: 0 })
      : http(url, { timeout: timeoutMs, retryCount: 0 }),
  )
  // retryCount applies to the whole list: each round tries every URL once, in order.
  const client = createPublicClient({
    transport: fallback(transports, { retryCount: 1, retryDelay: 200 }),
    // viem caches the block number for its polling interval (4 s) by default: a scan would
    // start from a head seconds old, and every event would wait that much longer to be seen.
    cacheTime: 0,
  }) as PublicClient
  if (onOutcome) {
    const transport = client.transport as unknown as {
      onResponse?: (
        fn: (r: {
          transport: { value?: { url?: string } }
          status: string
          error?: Error
          method: string
        }) => void,
      ) => void
    }
    transport.onResponse?.((r) => {
      const index = Math.max(0, urls.indexOf(r.transport.value?.url ?? ''))
      onOutcome({
        index,
        ok: r.status === 'success',
        method: r.method,
        last: index === urls.length - 1,
        ...(r.error ? { error: r.error.name } : {}),
      })
    })
  }
  return client
}
