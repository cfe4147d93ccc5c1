import { type Abi, type Address, decodeFunctionResult, encodeFunctionData, type Hex } from 'viem'
import { isRetryable, remoteError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'

/** A JSON-RPC node that can trace calls with state overrides: a local fork or the upstream itself. */
export type Endpoint = {
  url: string
  mode: 'fork' | 'direct'
  request<T = unknown>(method: string, params: unknown[]): Promise<T>
  /**
   * Says that `method(params)` is coming (a fork prefetches what it will read along with what is
   * running now); returns the function that withdraws it. Absent where there is nothing to gain.
   */
  expect?(method: string, params: unknown[]): () => void
}

let nextId = 1

/** Plain JSON-RPC over fetch, with a timeout; errors never carry the URL (it may hold a key). */
export function createEndpoint(url: string, mode: Endpoint['mode'], timeoutMs: number): Endpoint {
  return {
    url,
    mode,
    async request<T>(method: string, params: unknown[]): Promise<T> {
      let res: Response
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (cause) {
        const reason =
          (cause as Error).name === 'TimeoutError'
            ? `timed out after ${timeoutMs} ms`
            : ((cause as Error).message ?? String(cause))
        throw remoteError(`${method} failed: ${redactUrls(reason)}`, { cause, retryable: true })
      }
      const text = await res.text()
      let body: { result?: T; error?: { code?: number; message?: string } }
      try {
        body = JSON.parse(text)
      } catch (cause) {
        throw remoteError(`${method}: HTTP ${res.status}, not JSON-RPC`, {
          cause,
          retryable: res.status >= 500 || res.status === 429,
        })
      }
      if (body.error) {
        throw remoteError(
          `${method}: ${redactUrls(body.error.message ?? 'error')} (code ${body.error.code})`,
          { retryable: false },
        )
      }
      if (!res.ok)
        throw remoteError(`${method}: HTTP ${res.status}`, {
          retryable: res.status >= 500 || res.status === 429,
        })
      return body.result as T
    },
  }
}

/** eth_call of one function, decoded. */
export async function readCall<T>(
  ep: Endpoint,
  to: Address,
  abi: Abi,
  functionName: string,
  args: unknown[],
  block: Hex | 'latest',
): Promise<T> {
  const data = encodeFunctionData({ abi, functionName, args } as never)
  const out = await ep.request<Hex>('eth_call', [{ to, data }, block])
  return decodeFunctionResult({ abi, functionName, data: out } as never) as T
}

/**
 * For a read whose failure means something ("no symbol()", "not a Safe"): the fallback when the
 * node answered (an error result such as a revert, or an answer that does not decode). A transport
 * failure (a timeout, a refused connection, HTTP 5xx or 429) is no answer: it is rethrown, so the
 * simulation fails and is reported unavailable (never judged with less than it should read).
 */
export const ifAnswered =
  <T>(fallback: T) =>
  (error: unknown): T => {
    if (isRetryable(error)) throw error
    return fallback
  }
