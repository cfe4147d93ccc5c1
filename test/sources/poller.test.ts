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
    await eventually(() => at.length === 4, 'four polls')
    poller.stop()
    expect(at).toHaveLength(4)
    // Timers never fire early: the i-th Safe is polled no sooner than i quarters of the interval.
    for (const [i, t] of at.entries()) expect(t).toBeGreaterThanOrEqual(i * 100 - 2)
  })

  it('skips a Safe whose previous poll is still running and reports failures', async () => {
    const results: Array<[boolean, string | undefined]> = []
    let calls = 0
    let rounds = 0
    let release: () => void = () => {}
    const held = new Promise<void>((r) => {
      release = r
    })
    const poller = createServicePoller({
      targets: targets.slice(0, 1),
      intervalMs: 10,
      gate: () => gate,
      currentNonce: async () => {
        calls++
        await held
        throw new Error('node down')
      },
      pending: async () => ({ txs: [], problems: [] }),
      onTransactions: async () => {},
      onResult: (_t, ok, error) => results.push([ok, error]),
      schedule: (round) => {
        const t = setInterval(() => {
          rounds++
          round()
        }, 10)
        return () => clearInterval(t)
      },
    })
    poller.start()
    // Several rounds come while the first poll is still running: none starts it again.
    await eventually(() => calls === 1 && rounds >= 5, 'rounds during the poll')
    poller.stop()
    expect(calls).toBe(1)
    release()
    await eventually(() => results.length > 0, 'the failure')
    expect(results).toEqual([[false, 'node down']])
  })
})

/** Polls `check` until it holds (or fails after 5 s). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
