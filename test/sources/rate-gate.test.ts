import { describe, expect, it } from 'vitest'
import { createRateGate } from '../../src/sources/rate-gate.js'

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
