import { describe, expect, it } from 'vitest'
import { paused } from '../../src/watchdogs/checks/paused.js'
import { A, B, codes, facts, parseCheck } from './helpers.js'

const check = parseCheck<'paused'>({
  kind: 'paused',
  contracts: [
    { address: A, name: 'pool' },
    { address: B, function: 'isSupplyPaused()', expect: true },
  ],
})

const cases: Array<{ name: string; reads: Record<string, unknown>; expect: string[] }> = [
  { name: 'each as expected', reads: { c0: false, c1: true }, expect: [] },
  { name: 'a pool paused that must run', reads: { c0: true, c1: true }, expect: ['paused'] },
  {
    name: 'a market that must stay paused is running',
    reads: { c0: false, c1: false },
    expect: ['not-paused'],
  },
  {
    name: 'a view that cannot be read is a problem',
    reads: { c0: new Error('reverted'), c1: true },
    expect: ['unreadable'],
  },
  {
    name: 'a view that does not answer a bool is a problem',
    reads: { c0: 1n, c1: true },
    expect: ['unreadable'],
  },
]

describe('paused', () => {
  it.each(cases)('$name', (c) => {
    expect(codes(paused.evaluate(check, facts(c.reads), undefined))).toEqual(c.expect)
  })

  it('reads `paused()` by default and the configured view otherwise, both as bools', () => {
    expect(paused.reads(check).map((r) => [r.to, r.functionName])).toEqual([
      [A, 'paused'],
      [B, 'isSupplyPaused'],
    ])
  })
})
