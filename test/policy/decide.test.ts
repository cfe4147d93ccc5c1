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

describe('decide, with the veto rules', () => {
  const rules = {
    vetoAt: 'critical' as Level,
    findings: {
      'safe-state-change/singleton-changed': 'veto' as const,
      'nonce-competition/competing': 'escalate' as const,
    },
    reviewedBy: 2,
  }
  const singleton = [{ guard: 'safe-state-change', code: 'singleton-changed' }]
  const cases: Array<[string, Level, DecideContext, string[], RegExp?]> = [
    [
      'critical with vetoes on: veto',
      'critical',
      { rules, vetoEnabled: true, escalation: ladder },
      ['log', 'notify', 'escalate', 'veto'],
      /at or above the veto level/,
    ],
    [
      'critical with the kill switch off: escalated instead',
      'critical',
      { rules, escalation: ladder },
      ['log', 'notify', 'escalate'],
      /switched off/,
    ],
    [
      'a finding that calls for a veto, whatever the level',
      'medium',
      { rules, findings: singleton, vetoEnabled: true },
      ['log', 'notify', 'escalate', 'veto'],
      /singleton-changed calls for veto/,
    ],
    [
      'a finding that calls for escalation below the ladder',
      'low',
      { rules, findings: [{ guard: 'nonce-competition', code: 'competing' }] },
      ['log', 'notify', 'escalate'],
    ],
    [
      'reviewed by two signers: notified only, no veto',
      'critical',
      { rules, vetoEnabled: true, reviewers: 2, escalation: ladder },
      ['log', 'notify'],
      /reviewed by 2 signers/,
    ],
    [
      'reviewed by one of two: still vetoed',
      'critical',
      { rules, vetoEnabled: true, reviewers: 1 },
      ['log', 'notify', 'escalate', 'veto'],
    ],
    [
      'a silence does not stop a veto the rules ask for',
      'high',
      { ...silenced, rules, findings: singleton, vetoEnabled: true },
      ['log', 'notify', 'escalate', 'veto'],
    ],
    [
      'no rules: no veto, even critical',
      'critical',
      { vetoEnabled: true, escalation: ladder },
      ['log', 'notify', 'escalate'],
    ],
  ]
  it.each(cases)('%s', (_name, level, context, actions, reason) => {
    const d = decide(level, { minLevel: 'low' }, context)
    expect(d.actions).toEqual(actions)
    if (reason) expect(d.reason).toMatch(reason)
  })
})
