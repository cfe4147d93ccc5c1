import { describe, expect, it } from 'vitest'
import type { Level } from '../../src/model/severity.js'
import { type DecideContext, decide } from '../../src/policy/decide.js'

const ladder = { enabled: true, minLevel: 'high' as Level }
const silenced = { silencedUntil: Date.parse('2026-11-25T12:00:00Z') }

describe('decide', () => {
  const cases: Array<[string, Level, Level, DecideContext, string[]]> = [
    ['below the alert level: log only', 'low', 'medium', { escalation: ladder }, ['log']],
    ['at the alert level: notify', 'medium', 'medium', { escalation: ladder }, ['log', 'notify']],
    [
      'high with the ladder on: escalate',
      'high',
      'low',
      { escalation: ladder },
      ['log', 'notify', 'escalate'],
    ],
    [
      'high with the ladder off: notify only',
      'high',
      'low',
      { escalation: { ...ladder, enabled: false } },
      ['log', 'notify'],
    ],
    ['high without a ladder: notify only', 'high', 'low', {}, ['log', 'notify']],
    ['silenced high: log only', 'high', 'low', { ...silenced, escalation: ladder }, ['log']],
    ['silenced medium: log only', 'medium', 'low', { ...silenced, escalation: ladder }, ['log']],
    [
      'silenced critical still goes out and is chased',
      'critical',
      'low',
      { ...silenced, escalation: ladder },
      ['log', 'notify', 'escalate'],
    ],
    [
      'a policy at none alerts and chases everything',
      'none',
      'none',
      { escalation: { enabled: true, minLevel: 'none' } },
      ['log', 'notify', 'escalate'],
    ],
  ]
  it.each(cases)('%s', (_name, level, minLevel, context, actions) => {
    expect(decide(level, { minLevel }, context).actions).toEqual(actions)
  })

  it('says why a silenced report was not sent', () => {
    expect(decide('high', { minLevel: 'low' }, silenced).reason).toBe(
      'silenced until 2026-11-25T12:00:00.000Z',
    )
  })
})
