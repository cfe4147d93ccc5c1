import { createPublicClient, fallback, http, type PublicClient, webSocket } from 'viem'

/** A read-only client over one or more RPC URLs, failing over in order. URLs are never logged. */
export function createRpcClient(urls: string[], { timeoutMs = 15_000 } = {}): PublicClient {
  const transports = urls.map((url) =>
    url.startsWith('ws')
      ? webSocket(url, { timeout: timeoutMs, retryCount: 1 })
      : http(url, { timeout: timeoutMs, retryCount: 1 }),
  )
  const [first] = transports
  if (!first) throw new Error('createRpcClient needs at least one URL')
  return createPublicClient({
    transport: transports.length === 1 ? first : fallback(transports),
  }) as PublicClient
}
