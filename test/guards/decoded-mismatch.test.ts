import { encodeFunctionData } from 'viem'
import { describe, expect, it } from 'vitest'
import { ALICE, BOB, codesOf, erc20, inspectOffline, source, TOKEN } from '../helpers/build.js'

const data = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [BOB, 1000n] })
const claim = (to: string, value: unknown, type = 'uint256') => ({
  method: 'transfer',
  parameters: [
    { name: 'to', type: 'address', value: to },
    { name: 'value', type, value },
  ],
})

const cases: Array<{ name: string; dataDecoded: unknown; expect: string[] }> = [
  { name: 'no claim', dataDecoded: undefined, expect: [] },
  { name: 'a true claim', dataDecoded: claim(BOB, '1000'), expect: [] },
  {
    name: 'a claim with a different recipient',
    dataDecoded: claim(ALICE, '1000'),
    expect: ['decoded-mismatch/decoded-mismatch:high'],
  },
  {
    name: 'a claim with a different amount',
    dataDecoded: claim(BOB, '1'),
    expect: ['decoded-mismatch/decoded-mismatch:high'],
  },
  {
    name: 'a claim that is not even well formed',
    dataDecoded: { method: 42 },
    expect: ['decoded-mismatch/claim-malformed:high'],
  },
  {
    name: 'a claim in a type custos cannot re-encode',
    dataDecoded: claim(BOB, '1000', 'tuple'),
    expect: ['decoded-mismatch/claim-unverifiable:high'],
  },
  {
    name: 'an unparsable claim whose readable recipient is false',
    dataDecoded: claim(ALICE, '1000', 'uint256 '),
    expect: ['decoded-mismatch/claim-unverifiable:high', 'decoded-mismatch/decoded-mismatch:high'],
  },
  {
    name: 'a claim whose values are malformed, with the readable ones compared',
    dataDecoded: claim(ALICE, 'a thousand'),
    expect: ['decoded-mismatch/claim-malformed:high', 'decoded-mismatch/decoded-mismatch:high'],
  },
]

describe('decoded-mismatch', () => {
  it.each(cases)('$name', async (c) => {
    const report = await inspectOffline(
      source({ to: TOKEN, data }, c.dataDecoded === undefined ? {} : { dataDecoded: c.dataDecoded }),
    )
    expect(codesOf(report, 'decoded-mismatch')).toEqual(c.expect)
  })
})
