import { describe, expect, it } from 'vitest'
import { cronFor, interval } from '../../src/config/watch.js'
import { periodOf } from '../../src/pipeline/schedule.js'

describe('the watch loop schedule', () => {
  it('runs every interval the configuration accepts at that interval', () => {
    const accepted = Array.from({ length: 3600 }, (_, i) => i + 1).filter(
      (s) => interval.safeParse(s).success,
    )
    expect(accepted.length).toBeGreaterThan(15)
    for (const s of accepted) expect([s, periodOf(cronFor(s))]).toEqual([s, s])
    // The loop's own jobs.
    expect(periodOf('*/2 * * * * *')).toBe(2)
    expect(periodOf('*/5 * * * * *')).toBe(5)
  })

  it('refuses an expression it cannot run as an interval', () => {
    for (const e of [
      '* * * * *',
      '0 0 * * * *',
      '*/0 * * * * *',
      '15 * * * * *',
      '0 */5 1 * * *',
      'nonsense',
    ])
      expect(() => periodOf(e), e).toThrow(/unsupported schedule/)
  })
})
