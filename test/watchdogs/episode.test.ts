import { describe, expect, it } from 'vitest'
import type { CheckResult } from '../../src/model/check.js'
import { alertedOf, episodeStep } from '../../src/watchdogs/episode.js'

const healthy: CheckResult = { ok: true, problems: [], summary: '' }
const broken = (...problems: Array<[string, string, number?]>): CheckResult => ({
  ok: false,
  summary: '',
  problems: problems.map(([code, key, measure]) => ({
    code,
    key,
    message: code,
    ...(measure !== undefined ? { measure } : {}),
  })),
})
const stale = (s: number) => broken(['stale', 'stale', s])

const cases: Array<{
  name: string
  open?: CheckResult
  now: CheckResult
  worseBy?: Record<string, number>
  expect: string
}> = [
  { name: 'healthy, nothing open', now: healthy, expect: 'quiet' },
  { name: 'breaks', now: stale(1), expect: 'open' },
  { name: 'still broken the same way', open: stale(1), now: stale(50), expect: 'quiet' },
  {
    name: 'worse by less than the step',
    open: stale(1),
    now: stale(3600),
    worseBy: { stale: 3600 },
    expect: 'quiet',
  },
  { name: 'worse by the step', open: stale(1), now: stale(3601), worseBy: { stale: 3600 }, expect: 'worse' },
  {
    name: 'no step: a growing measure is not raised again',
    open: stale(1),
    now: stale(1e9),
    expect: 'quiet',
  },
  {
    name: 'a new problem',
    open: stale(1),
    now: broken(['stale', 'stale', 2], ['deviation', 'deviation', 300]),
    expect: 'worse',
  },
  {
    name: 'a problem went away, another stays',
    open: broken(['stale', 'stale', 2], ['deviation', 'deviation']),
    now: stale(3),
    expect: 'quiet',
  },
  { name: 'recovers', open: stale(1), now: healthy, expect: 'resolve' },
]

describe('episodes', () => {
  it.each(cases)('$name', (c) => {
    const open = c.open ? { alerted: alertedOf(c.open) } : undefined
    expect(episodeStep(open, c.now, c.worseBy ?? {}).kind).toBe(c.expect)
  })
})
