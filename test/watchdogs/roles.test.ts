import { describe, expect, it } from 'vitest'
import { roles } from '../../src/watchdogs/checks/roles.js'
import { A, B, C, codes, facts, parseCheck } from './helpers.js'

const check = parseCheck<'roles'>({
  kind: 'roles',
  contract: A,
  holders: [
    { function: 'owner()', expected: [B] },
    { role: 'PAUSER_ROLE', expected: [B, C] },
  ],
})

const ok = { h0: B, 'h1:has0': true, 'h1:has1': true, 'h1:count': 2n, 'h1:member0': B, 'h1:member1': C }

const cases: Array<{ name: string; reads: Record<string, unknown>; expect: string[]; notes?: number }> = [
  { name: 'the expected owner and role members', reads: ok, expect: [] },
  { name: 'owner() changed', reads: { ...ok, h0: C }, expect: ['unexpected-holder'] },
  {
    name: 'an expected holder lost the role',
    reads: { ...ok, 'h1:has1': false, 'h1:count': 1n },
    expect: ['missing-holder'],
  },
  {
    name: 'someone else holds the role (enumerable)',
    reads: { ...ok, 'h1:count': 3n, 'h1:member2': A },
    expect: ['unexpected-holder'],
  },
  {
    name: 'not enumerable: only the expected holders are checked, and a note says so',
    reads: { ...ok, 'h1:count': new Error('reverted') },
    expect: [],
    notes: 1,
  },
  { name: 'owner() cannot be read', reads: { ...ok, h0: new Error('reverted') }, expect: ['unreadable'] },
  {
    name: 'hasRole cannot be read',
    reads: { ...ok, 'h1:has0': new Error('reverted') },
    expect: ['unreadable'],
  },
]

describe('roles', () => {
  it.each(cases)('$name', (c) => {
    const r = roles.evaluate(check, facts(c.reads), undefined)
    expect(codes(r)).toEqual(c.expect)
    expect(r.notes?.length ?? 0).toBe(c.notes ?? 0)
  })

  it('lists the members the count says, after the first batch', () => {
    expect(roles.reads(check).map((r) => r.key)).toEqual(['h0', 'h1:has0', 'h1:has1', 'h1:count'])
    expect(roles.followUp?.(check, facts({ 'h1:count': 3n }).reads).map((r) => r.key)).toEqual([
      'h1:member0',
      'h1:member1',
      'h1:member2',
    ])
  })

  it('names a new holder as a new problem (its own key), so the episode is raised again', () => {
    const one = roles.evaluate(check, facts({ ...ok, 'h1:count': 3n, 'h1:member2': A }), undefined)
    const two = roles.evaluate(check, facts({ ...ok, h0: A, 'h1:count': 3n, 'h1:member2': A }), undefined)
    expect(one.problems.map((p) => p.key)).not.toEqual(two.problems.map((p) => p.key))
  })
})
