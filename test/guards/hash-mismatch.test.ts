import type { Hash } from 'viem'
import { describe, expect, it } from 'vitest'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import { codesOf, inspectOffline, safeTx, source } from '../helpers/build.js'

const real = safeTxHashes('1.4.1', 1, safeTx({ value: 1n })).safeTxHash
const cases: Array<{ name: string; claimed?: Hash; expect: string[] }> = [
  { name: 'no claimed hash', expect: [] },
  { name: 'the claimed hash is the real one', claimed: real, expect: [] },
  {
    name: 'the claimed hash is the real one in upper case',
    claimed: real.toUpperCase().replace('0X', '0x') as Hash,
    expect: [],
  },
  {
    name: 'the claimed hash belongs to other fields',
    claimed: safeTxHashes('1.4.1', 1, safeTx({ value: 2n })).safeTxHash,
    expect: ['hash-mismatch/hash-mismatch:critical'],
  },
]

describe('hash-mismatch', () => {
  it.each(cases)('$name', async (c) => {
    const report = await inspectOffline(
      source({ value: 1n }, c.claimed ? { claimedSafeTxHash: c.claimed } : {}),
    )
    expect(codesOf(report, 'hash-mismatch')).toEqual(c.expect)
    expect(report.hashes.match).toBe(c.claimed ? c.expect.length === 0 : null)
  })
})
