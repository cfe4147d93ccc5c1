import { describe, expect, it } from 'vitest'
import type { Escalation } from '../../src/model/store.js'
import { begin, climb, escalateNow, onVerdict } from '../../src/respond/escalation.js'

const policy = {
  enabled: true,
  minLevel: 'high' as const,
  mentionAfterSeconds: 600,
  pageAfterSeconds: 300,
  repeatAfterSeconds: 1800,
  maxRounds: 2,
}
const T = 1_000_000

describe('the escalation ladder', () => {
  it('climbs posted → mention → page → mention and page again → exhausted', () => {
    let e = begin('p', 'critical', policy, T)
    expect(e).toMatchObject({ stage: 'posted', round: 1, nextAt: T + 600_000, status: 'open' })
    const steps: Array<[number, string[], Partial<Escalation>]> = [
      [T + 600_000, ['mention:1'], { stage: 'mentioned', nextAt: T + 900_000 }],
      [T + 900_000, ['page:1'], { stage: 'paged', nextAt: T + 2_700_000 }],
      [T + 2_700_000, ['mention:2', 'page:2'], { stage: 'paged', round: 2, nextAt: T + 4_500_000 }],
      [T + 4_500_000, [], { status: 'exhausted' }],
    ]
    for (const [now, rungs, next] of steps) {
      const r = climb(e, policy, now)
      expect(r.rungs.map((x) => `${x.stage}:${x.round}`)).toEqual(rungs)
      expect(r.next).toMatchObject(next)
      e = r.next
    }
    expect(climb(e, policy, T + 9_999_999).rungs).toEqual([])
  })

  const open = begin('p', 'high', policy, T)
  const cases: Array<
    [string, Escalation | undefined, 'low' | 'high' | 'critical', Partial<Escalation> | undefined]
  > = [
    ['below the ladder’s level: nothing', undefined, 'low', undefined],
    [
      'a first high verdict starts it',
      undefined,
      'high',
      { stage: 'posted', level: 'high', startedAt: T + 5 },
    ],
    ['the same level again keeps the running ladder', open, 'high', undefined],
    [
      'a higher level keeps the timers and raises the level',
      open,
      'critical',
      { level: 'critical', startedAt: T },
    ],
    ['acknowledged, same level: stays quiet', { ...open, status: 'acknowledged' }, 'high', undefined],
    [
      'acknowledged, then worse: starts again',
      { ...open, status: 'acknowledged' },
      'critical',
      { status: 'open', level: 'critical', startedAt: T + 5 },
    ],
  ]
  it.each(cases)('on a new verdict, %s', (_name, existing, level, expected) => {
    const r = onVerdict(existing, 'p', level, policy, T + 5)
    if (expected === undefined) expect(r).toBeUndefined()
    else expect(r).toMatchObject(expected)
  })

  it('never starts when the ladder is disabled', () => {
    expect(onVerdict(undefined, 'p', 'critical', { ...policy, enabled: false }, T)).toBeUndefined()
  })

  it('an Escalate press makes the next rung due now, or starts a ladder', () => {
    expect(escalateNow(open, 'p', 'high', policy, T + 7)).toMatchObject({
      stage: 'posted',
      nextAt: T + 7,
      status: 'open',
    })
    expect(escalateNow({ ...open, status: 'acknowledged' }, 'p', 'high', policy, T + 7)).toMatchObject({
      status: 'open',
      nextAt: T + 7,
    })
    expect(escalateNow(undefined, 'p', 'medium', policy, T + 7)).toMatchObject({
      level: 'medium',
      nextAt: T + 7,
      round: 1,
    })
    expect(escalateNow({ ...open, status: 'exhausted', round: 2 }, 'p', 'high', policy, T + 7)).toMatchObject(
      { round: 1, status: 'open' },
    )
  })
})
