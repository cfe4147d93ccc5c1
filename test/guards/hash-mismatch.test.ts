import type { Hash } from 'viem'
import { expect } from 'vitest'
import guard from '../../guards/hash-mismatch.js'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import { inspectOffline, safeTx, source } from '../helpers/build.js'
import { guardTester } from '../helpers/guard-tester.js'

const real = safeTxHashes('1.4.1', 1, safeTx({ value: 1n })).safeTxHash
/** Inspects a transaction of value 1 claiming `claimed`; the report's `match` agrees with the guard. */
const claiming = (claimed: Hash | undefined, match: boolean | null) => async () => {
  const report = await inspectOffline(source({ value: 1n }, claimed ? { claimedSafeTxHash: claimed } : {}))
  expect(report.hashes.match).toBe(match)
  return report
}

guardTester(guard, {
  valid: [
    { name: 'no claimed hash', run: claiming(undefined, null) },
    { name: 'the claimed hash is the real one', run: claiming(real, true) },
    {
      name: 'the claimed hash is the real one in upper case',
      run: claiming(real.toUpperCase().replace('0X', '0x') as Hash, true),
    },
  ],
  invalid: [
    {
      name: 'the claimed hash belongs to other fields',
      run: claiming(safeTxHashes('1.4.1', 1, safeTx({ value: 2n })).safeTxHash, false),
      expect: ['hash-mismatch:critical'],
    },
  ],
})
