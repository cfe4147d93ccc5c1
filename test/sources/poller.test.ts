import type { Address } from 'viem'
import { describe, expect, it } from 'vitest'
import { createRateGate } from '../../src/sources/rate-gate.js'
import { createServicePoller, type PollTarget } from '../../src/sources/service-poller.js'

const gate = createRateGate()
const targets: PollTarget[] = [1, 2, 3, 4].map((i) => ({
  chainId: 1,
  safe: `0x${String(i).repeat(40)}` as Address,
}))

describe('createServicePoller', () => {
  it('spreads the Safes over the interval instead of polling them in a burst', async () => {
    const at: number[] = []
    const t0 = performance.now()
    const poller = createServicePoller({
      targets,
      intervalMs: 400,
      gate: () => gate,
      currentNonce: async () => {
        at.push(performance.now() - t0)
        return 0n
      },
      pending: async () => ({ txs: [], problems: [] }),
      onTransactions: async () => {},
      onResult: () => {},
      schedule: () => () => {},
    })
    poller.start()
    await new Promise((r) => setTimeout(r, 500))
    poller.stop()
    expect(at).toHaveLength(4)
    // Timers never fire early: the i-th Safe is polled no sooner than i quarters of the interval.
    for (const [i, t] of at.entries()) expect(t).toBeGreaterThanOrEqual(i * 100 - 2)
  })

  it('skips a Safe whose previous poll is still running and reports failures', async () => {
    const results: Array<[boolean, string | undefined]> = []
    let calls = 0
    const poller = createServicePoller({
      targets: targets.slice(0, 1),
      intervalMs: 10,
      gate: () => gate,
      currentNonce: async () => {
        calls++
        await new Promise((r) => setTimeout(r, 150))
        throw new Error('node down')
      },
      pending: async () => ({ txs: [], problems: [] }),
      onTransactions: async () => {},
      onResult: (_t, ok, error) => results.push([ok, error]),
      schedule: (round) => {
        const t = setInterval(round, 10)
        return () => clearInterval(t)
      },
    })
    poller.start()
    await new Promise((r) => setTimeout(r, 100))
    poller.stop()
    expect(calls).toBe(1) // rounds every 10 ms, but the poll in flight is not started again
    await new Promise((r) => setTimeout(r, 100))
    expect(results).toEqual([[false, 'node down']])
  })
})

describe('createRateGate', () => {
  it('waits out a 429 Retry-After and an exhausted X-RateLimit window', () => {
    let now = Date.now()
    const gate = createRateGate(() => now)
    gate.note(429, (h) => ({ 'retry-after': '2' })[h])
    expect(gate.blockedUntil()).toBe(now + 2000)
    now += 5000
    gate.note(
      200,
      (h) => ({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(now / 1000) + 3) })[h],
    )
    expect(gate.blockedUntil()).toBe((Math.floor(now / 1000) + 3) * 1000)
  })
})
