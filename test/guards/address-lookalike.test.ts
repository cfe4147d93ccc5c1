import { type Address, encodeFunctionData, getAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import type { SafeTx } from '../../src/model/safe.js'
import { codesOf, erc20, inspectOffline, SAFE, source, TOKEN } from '../helpers/build.js'

const TREASURY = getAddress('0x1234a000000000000000000000000000000b5678')
// Same first four and last four hex digits, different in between: an address-poisoning lookalike.
const POISON = getAddress('0x1234ffffffffffffffffffffffffffffffff5678')
const SAFE_LOOKALIKE = getAddress(`${SAFE.slice(0, 6)}${'9'.repeat(32)}${SAFE.slice(-4)}`) as Address
const config = { addressBook: [{ address: TREASURY, name: 'Treasury' }] }
const HIGH = ['address-lookalike/lookalike-address:high']

const cases: Array<{ name: string; tx: Partial<SafeTx>; expect: string[] }> = [
  { name: 'the real address-book entry', tx: { to: TREASURY, value: 1n }, expect: [] },
  { name: 'an unrelated address', tx: { to: TOKEN, value: 1n }, expect: [] },
  { name: 'ETH to a lookalike of an address-book entry', tx: { to: POISON, value: 1n }, expect: HIGH },
  {
    name: 'tokens to a lookalike',
    tx: { to: TOKEN, data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [POISON, 1n] }) },
    expect: HIGH,
  },
  { name: 'a lookalike of the Safe itself', tx: { to: SAFE_LOOKALIKE, value: 1n }, expect: HIGH },
]

describe('address-lookalike', () => {
  it.each(cases)('$name', async (c) => {
    expect(codesOf(await inspectOffline(source(c.tx), config), 'address-lookalike')).toEqual(c.expect)
  })

  it('names the address it imitates', async () => {
    const report = await inspectOffline(source({ to: POISON, value: 1n }), config)
    expect(report.findings[0]?.message).toBe(
      `${POISON} looks like ${TREASURY} (Treasury): same first and last 4 hex digits, different address`,
    )
  })
})
