import { type Address, encodeFunctionData, getAddress } from 'viem'
import { expect } from 'vitest'
import guard from '../../guards/address-lookalike.js'
import type { SafeTx } from '../../src/model/safe.js'
import { erc20, inspectOffline, SAFE, source, TOKEN } from '../helpers/build.js'
import { guardTester } from '../helpers/guard-tester.js'

const TREASURY = getAddress('0x1234a000000000000000000000000000000b5678')
// Same first four and last four hex digits, different in between: an address-poisoning lookalike.
const POISON = getAddress('0x1234ffffffffffffffffffffffffffffffff5678')
const SAFE_LOOKALIKE = getAddress(`${SAFE.slice(0, 6)}${'9'.repeat(32)}${SAFE.slice(-4)}`) as Address
const config = { addressBook: [{ address: TREASURY, name: 'Treasury' }] }
const tx = (fields: Partial<SafeTx>) => () => inspectOffline(source(fields), config)

guardTester(guard, {
  valid: [
    { name: 'the real address-book entry', run: tx({ to: TREASURY, value: 1n }) },
    { name: 'an unrelated address', run: tx({ to: TOKEN, value: 1n }) },
  ],
  invalid: [
    {
      name: 'ETH to a lookalike of an address-book entry, named with the address it imitates',
      run: tx({ to: POISON, value: 1n }),
      expect: ['lookalike-address:high'],
      also: ([f]) =>
        expect(f?.message).toBe(
          `${POISON} looks like ${TREASURY} (Treasury): same first and last 4 hex digits, different address`,
        ),
    },
    {
      name: 'tokens to a lookalike',
      run: tx({
        to: TOKEN,
        data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [POISON, 1n] }),
      }),
      expect: ['lookalike-address:high'],
    },
    {
      name: 'a lookalike of the Safe itself',
      run: tx({ to: SAFE_LOOKALIKE, value: 1n }),
      expect: ['lookalike-address:high'],
    },
  ],
})
