import { describe, expect, it } from 'vitest'
import type { Address } from 'viem'
import { createRateGate } from '../../src/sources/rate-gate.js'
import { createServicePoller, type PollTarget } from '../../src/sources/service-poller.js'

const targets: PollTarget[] = [1, 2, 3, 4].map((i) => ({ chainId: 1, safe: `0x${String(i).repeat(40)}` as Address }))

describe('createServicePoller', () => {
  it('spreads the Safes over the interval instead of polling them in a burst', async () => {
    const at: number[] = []
    const t0 = performance.now()
    const poller = createServicePoller({
      targets,
      intervalMs: 400,
      gate: createRateGate(),
      currentNonce: async () => {
        at.push(performance.now() - t0)
        return 0n
      },
      pending: async () => [],
      onTransactions: async () => {},
      onResult: () => {},
      schedule: () => () => {},
    })
    poller.start()
    await new Promise((r) => setTimeout(r, 500))
    poller.stop()
    expect(at).toHaveLength(4)
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number))
    for (const g of gaps) expect(g).toBeGreaterThan(60)
  })

  it('skips a Safe whose previous poll is still running and reports failures', async () => {
    const results: Array<[boolean, string | undefined]> = []
    let calls = 0
    const poller = createServicePoller({
      targets: targets.slice(0, 1),
      intervalMs: 10,
      gate: createRateGate(),
      currentNonce: async () => {
        calls++
        await new Promise((r) => setTimeout(r, 100))
        throw new Error('node down')
      },
      pending: async () => [],
      onTransactions: async () => {},
      onResult: (_t, ok, error) => results.push([ok, error]),
      schedule: (round) => {
        const t = setInterval(round, 10)
        return () => clearInterval(t)
      },
    })
    poller.start()
    await new Promise((r) => setTimeout(r, 150))
    poller.stop()
    expect(calls).toBe(1)
    expect(results[0]).toEqual([false, 'node down'])
  })
})

describe('createRateGate', () => {
  it('waits out a 429 Retry-After and an exhausted X-RateLimit window', () => {
    let now = 1_000_000
    const gate = createRateGate(() => now)
    gate.note(429, (h) => ({ 'retry-after': '2' })[h])
    expect(gate.blockedUntil()).toBe(now + 2000)
    now += 5000
    gate.note(200, (h) => ({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(now / 1000) + 3) })[h])
    expect(gate.blockedUntil()).toBe((Math.floor(now / 1000) + 3) * 1000)
  })
})
