import { describe, expect, it } from 'vitest'
import type { SafeTx } from '../../src/model/safe.js'
import { ALICE, codesOf, inspectOffline, source, TOKEN } from '../helpers/build.js'

const cases: Array<{ name: string; tx: Partial<SafeTx>; expect: string[] }> = [
  { name: 'no refund', tx: {}, expect: [] },
  {
    name: 'gas token set but gasPrice 0 (nothing is paid)',
    tx: { gasToken: TOKEN, refundReceiver: ALICE },
    expect: [],
  },
  {
    name: 'refund paid in a token',
    tx: { gasPrice: 1n, gasToken: TOKEN, baseGas: 10n ** 6n },
    expect: ['gas-refund/gas-refund:high'],
  },
  {
    name: 'refund sent to a chosen receiver',
    tx: { gasPrice: 50n, refundReceiver: ALICE },
    expect: ['gas-refund/gas-refund:high'],
  },
  {
    name: 'a small native refund to the executor',
    tx: { gasPrice: 10n ** 9n, baseGas: 50_000n },
    expect: ['gas-refund/refund-to-executor:medium'],
  },
  {
    name: 'a native refund whose baseGas drains the Safe into the executor',
    tx: { gasPrice: 10n ** 13n, baseGas: 10n ** 7n },
    expect: ['gas-refund/large-refund-to-executor:high'],
  },
]

describe('gas-refund', () => {
  it.each(cases)('$name', async (c) => {
    expect(codesOf(await inspectOffline(source(c.tx)), 'gas-refund')).toEqual(c.expect)
  })
})
