import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineGuard } from '../../src/model/guard.js'
import { aggregateRisk } from '../../src/score/risk.js'
import { runGuards } from '../../src/score/run-guards.js'
import { inspectOffline, source } from '../helpers/build.js'

const guard = (id: string, check: () => unknown) =>
  defineGuard({
    meta: { id, description: id, appliesTo: ['safe'], needsSimulation: false, maxSeverity: 'low' },
    options: z.object({}),
    check: check as never,
  })

describe('runGuards', () => {
  it('turns a throwing, hanging or misbehaving guard into a high guard-error finding', async () => {
    const report = await inspectOffline(source())
    const ctx = {
      proposal: report.proposal,
      verification: { ...report, official: new Map(), hashes: report.hashes } as never,
      addressBook: [],
      tokens: [],
      sameNonce: [],
    }
    const findings = await runGuards(
      [
        {
          guard: guard('throws', () => {
            throw new Error('boom')
          }),
          options: {},
        },
        { guard: guard('hangs', () => new Promise(() => {})), options: {} },
        { guard: guard('junk', () => [{ code: 1 }]), options: {} },
        { guard: guard('fine', () => [{ code: 'ok', severity: 'low', message: 'fine' }]), options: {} },
      ],
      ctx,
      { timeoutMs: 50 },
    )
    expect(findings.map((f) => [f.guard, f.code, f.severity])).toEqual([
      ['throws', 'guard-error', 'high'],
      ['hangs', 'guard-error', 'high'],
      ['junk', 'guard-error', 'high'],
      ['fine', 'ok', 'low'],
    ])
    expect(findings[1]?.message).toBe('guard hangs failed: timed out after 50 ms')
  })
})

describe('aggregateRisk', () => {
  const f = (severity: 'info' | 'low' | 'medium' | 'high' | 'critical') => ({
    guard: 'g',
    code: 'c',
    severity,
    message: '',
  })
  it.each([
    [[], 'none', 0],
    [[f('info')], 'info', 1],
    [[f('medium'), f('low')], 'medium', 32],
    [[f('critical')], 'critical', 85],
    [[f('critical'), f('critical'), f('high')], 'critical', 98],
    [Array.from({ length: 50 }, () => f('high')), 'high', 84],
  ] as const)('%# level %s', (findings, level, score) => {
    expect(aggregateRisk([...findings])).toEqual({ level, score })
  })
})
