import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ClientRequest, IncomingMessage } from 'node:http'

/**
 * Keeps a client within a service's rate limit: after a 429 (or when X-RateLimit-Remaining hits
 * 0) every caller waits until Retry-After / X-RateLimit-Reset has passed.
 */
export function createRateGate(clock: () => number = Date.now, maxWaitMs = 10 * 60_000) {
  // A service (or something posing as one) cannot stop polling for longer than maxWaitMs.
  let blockedUntil = 0
  const cap = (until: number) => Math.min(until, clock() + maxWaitMs)
  const gate = {
    async wait(): Promise<void> {
      for (;;) {
        const ms = blockedUntil - clock()
        if (ms <= 0) return
        await new Promise((r) => setTimeout(r, Math.min(ms, 60_000)))
      }
    },
    /** Reads a response's rate-limit headers. */
    note(status: number, header: (name: string) => string | undefined): void {
      const now = clock()
      const retryAfter = Number(header('retry-after'))
      const remaining = header('x-ratelimit-remaining')
      const reset = Number(header('x-ratelimit-reset'))
      // Reset is epoch seconds on most services; small values are seconds from now.
      const resetAt =
        Number.isFinite(reset) && reset > 0 ? (reset > 1e9 ? reset * 1000 : now + reset * 1000) : undefined
      if (status === 429) {
        const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000
        blockedUntil = cap(Math.max(blockedUntil, now + wait, resetAt ?? 0))
      } else if (remaining === '0' && resetAt) blockedUntil = cap(Math.max(blockedUntil, resetAt))
    },
    blockedUntil: () => blockedUntil,
  }
  return gate
}
export type RateGate = ReturnType<typeof createRateGate>

/**
 * api-kit does not expose response headers, so the gate reads them from Node's HTTP diagnostics
 * channel, for requests whose Host is the service's. Returns the unsubscribe function.
 */
export function watchRateLimits(serviceUrl: string, gate: RateGate): () => void {
  const host = new URL(serviceUrl).host
  const listener = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage }
    if (request.getHeader('host') !== host) return
    gate.note(response.statusCode ?? 0, (name) => {
      const v = response.headers[name]
      return Array.isArray(v) ? v[0] : v
    })
  }
  subscribe(CHANNEL, listener)
  return () => void unsubscribe(CHANNEL, listener)
}

const CHANNEL = 'http.client.response.finish'
