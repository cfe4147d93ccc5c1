import { describe, expect, it } from 'vitest'
import type { SafeTx } from '../../src/model/safe.js'
import { codesOf, inspectOffline, source } from '../helpers/build.js'

const initCode = '0x6080604052348015600f57600080fd5b50603f80601d6000396000f3fe' as const

const cases: Array<{ name: string; version: string; tx: Partial<SafeTx>; expect: string[] }> = [
  { name: 'a CALL', version: '1.0.0', tx: { value: 1n }, expect: [] },
  { name: 'a DELEGATECALL', version: '0.1.0', tx: { operation: 1 }, expect: [] },
  {
    name: 'CREATE on Safe 1.0.0',
    version: '1.0.0',
    tx: { operation: 2, data: initCode, value: 5n },
    expect: ['contract-creation/contract-creation:high'],
  },
  {
    name: 'CREATE on Safe 0.1.0',
    version: '0.1.0',
    tx: { operation: 2, data: initCode },
    expect: ['contract-creation/contract-creation:high'],
  },
  {
    // What the watch loop sees when a service lists one: reported, not skipped.
    name: 'CREATE on Safe 1.3.0, which cannot run it',
    version: '1.3.0',
    tx: { operation: 2, data: initCode },
    expect: ['contract-creation/unsupported-operation:high'],
  },
]

describe('contract-creation', () => {
  it.each(cases)('$name', async (c) => {
    const report = await inspectOffline(source(c.tx), {}, 1, c.version)
    expect(codesOf(report, 'contract-creation')).toEqual(c.expect)
  })
})
