import { describe, expect, it } from 'vitest'
import { invariant } from '../../src/watchdogs/checks/invariant.js'
import { A, codes, facts, parseCheck } from './helpers.js'

const reserves = parseCheck<'invariant'>({
  kind: 'invariant',
  calls: {
    reserves: { to: A, function: 'getReserves() returns (int256)' },
    target: { to: A, function: 'targetReserves() returns (uint256)' },
  },
  expression: 'reserves >= target',
  measure: 'target - reserves',
})
const E24 = 10n ** 24n

const cases: Array<{ name: string; reads: Record<string, unknown>; expect: string[] }> = [
  {
    name: 'reserves at their target (uint256 amounts past 2^64)',
    reads: { reserves: 2n * E24, target: E24 },
    expect: [],
  },
  { name: 'reserves below their target', reads: { reserves: E24 / 2n, target: E24 }, expect: ['violated'] },
  { name: 'a deficit (negative reserves)', reads: { reserves: -E24, target: E24 }, expect: ['violated'] },
  {
    name: 'a call that cannot be read is a problem',
    reads: { reserves: new Error('reverted'), target: E24 },
    expect: ['unreadable'],
  },
]

describe('invariant', () => {
  it.each(cases)('$name', (c) => {
    expect(codes(invariant.evaluate(reserves, facts(c.reads), undefined))).toEqual(c.expect)
  })

  it('measures how far from healthy (for worseBy)', () => {
    const r = invariant.evaluate(reserves, facts({ reserves: E24 / 4n, target: E24 }), undefined)
    expect(r.problems[0]?.measure).toBe(0.75e24)
  })

  it('says in the violation when its measure cannot be evaluated, and still raises it', () => {
    const c = parseCheck<'invariant'>({
      kind: 'invariant',
      calls: { n: { to: A, function: 'n() returns (uint8)' }, d: { to: A, function: 'd() returns (uint8)' } },
      expression: 'n > d',
      measure: 'double(int(d) / int(n))',
    })
    const r = invariant.evaluate(c, facts({ n: 0n, d: 0n }), undefined)
    expect(codes(r)).toEqual(['violated'])
    expect(r.problems[0]?.measure).toBeUndefined()
    expect(r.problems[0]?.message).toMatch(
      /its measure `double\(int\(d\) \/ int\(n\)\)` could not be evaluated: \S/,
    )
  })

  it('binds several named outputs as an object, and the block as `now` and `blockNumber`', () => {
    const c = parseCheck<'invariant'>({
      kind: 'invariant',
      calls: {
        fund: { to: A, function: 'fund() returns (uint256 balance, uint64 updatedAt, bool frozen)' },
      },
      expression:
        '!fund.frozen && fund.balance >= 1e18 && now - fund.updatedAt < 86400.0 && blockNumber > 0.0',
    })
    const ok = facts({ fund: [2n * 10n ** 18n, 999_000n, false] }, { timestamp: 1_000_000n })
    expect(codes(invariant.evaluate(c, ok, undefined))).toEqual([])
    const old = facts({ fund: [2n * 10n ** 18n, 1n, false] }, { timestamp: 1_000_000n })
    expect(codes(invariant.evaluate(c, old, undefined))).toEqual(['violated'])
  })

  it('turns a runtime failure of the expression into a problem, never a pass', () => {
    const c = parseCheck<'invariant'>({
      kind: 'invariant',
      calls: { n: { to: A, function: 'n() returns (uint8)' }, d: { to: A, function: 'd() returns (uint8)' } },
      expression: 'int(n) / int(d) >= 1',
    })
    expect(codes(invariant.evaluate(c, facts({ n: 1n, d: 0n }), undefined))).toEqual(['evaluation-error'])
  })
})
