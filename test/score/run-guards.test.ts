import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineGuard } from '../../src/model/guard.js'
import type { Severity } from '../../src/model/severity.js'
import { aggregateRisk } from '../../src/score/risk.js'
import { runGuards } from '../../src/score/run-guards.js'
import { inspectOffline, source } from '../helpers/build.js'

const guard = (id: string, check: () => unknown, codes: Record<string, Severity> = { ok: 'low' }) =>
  defineGuard({
    meta: { id, description: id, appliesTo: ['safe'], needsSimulation: false, codes },
    options: z.object({}),
    check: check as never,
  })

const context = async () => {
  const report = await inspectOffline(source())
  return {
    proposal: report.proposal,
    verification: { ...report, official: new Map(), hashes: report.hashes } as never,
    addressBook: [],
    tokens: [],
    sameNonce: [],
  }
}

describe('runGuards', () => {
  it('turns a throwing, hanging or misbehaving guard into a high guard-error finding', async () => {
    const ctx = await context()
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

  it('refuses a code the guard did not declare, or a severity above the declared one', async () => {
    const raise = (code: string, severity: Severity) => () => [
      { code, severity, message: `${code}!`, path: '0' },
    ]
    const codes: Record<string, Severity> = { approval: 'medium', 'approval-revoked': 'info' }
    const run = async (code: string, severity: Severity) =>
      (
        await runGuards([{ guard: guard('g', raise(code, severity), codes), options: {} }], await context(), {
          timeoutMs: 1000,
        })
      )[0]
    // Declared, at or below its declared worst: kept as raised.
    expect(await run('approval', 'medium')).toMatchObject({
      guard: 'g',
      code: 'approval',
      severity: 'medium',
    })
    expect(await run('approval', 'low')).toMatchObject({ code: 'approval', severity: 'low' })
    // A typo, or a code nobody declared: never silently kept, never lower than raised.
    expect(await run('aproval', 'medium')).toEqual({
      guard: 'g',
      code: 'guard-error',
      severity: 'high',
      path: '0',
      message: 'guard g raised the undeclared code aproval: aproval!',
    })
    expect(await run('drain', 'critical')).toMatchObject({ code: 'guard-error', severity: 'critical' })
    expect(await run('constructor', 'low')).toMatchObject({ code: 'guard-error', severity: 'high' })
    // Worse than declared: the declaration is what the docs and the policy trust.
    expect(await run('approval-revoked', 'critical')).toEqual({
      guard: 'g',
      code: 'guard-error',
      severity: 'critical',
      path: '0',
      message:
        'guard g raised approval-revoked at critical, above the info it declares for it: approval-revoked!',
    })
    expect(await run('approval-revoked', 'low')).toMatchObject({ code: 'guard-error', severity: 'high' })
    // The runner's own code is valid for every guard, and never below high.
    expect(await run('guard-error', 'low')).toMatchObject({ code: 'guard-error', severity: 'high' })
    expect(await run('guard-error', 'critical')).toMatchObject({ code: 'guard-error', severity: 'critical' })
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
