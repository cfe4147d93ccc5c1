import { encodeFunctionData, type Hex, zeroAddress } from 'viem'
import { expect } from 'vitest'
import guard from '../../guards/undecodable.js'
import type { SafeTx } from '../../src/model/safe.js'
import {
  BOB,
  erc20,
  inspectOffline,
  MULTISEND_CALL_ONLY,
  multiSend,
  source,
  TOKEN,
} from '../helpers/build.js'
import { guardTester } from '../helpers/guard-tester.js'

const transfer = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [BOB, 1n] })
const tx =
  (fields: Partial<SafeTx>, config: object = {}) =>
  () =>
    inspectOffline(source(fields), config)

guardTester(guard, {
  valid: [
    { name: 'a plain ETH transfer', run: tx({ value: 1n }) },
    { name: 'a known function', run: tx({ to: TOKEN, data: transfer }) },
    {
      name: 'an unknown function made known by a config ABI',
      run: tx(
        { to: TOKEN, data: '0xa694fc3a000000000000000000000000000000000000000000000000000000000000002a' },
        { abis: [{ name: 'staking', signatures: ['function stake(uint256 amount)'] }] },
      ),
    },
  ],
  invalid: [
    {
      name: 'an unknown function',
      run: tx({ to: TOKEN, data: '0xdeadbeef00' }),
      expect: ['undecodable:medium'],
    },
    {
      name: 'an unknown function by DELEGATECALL',
      run: tx({ to: TOKEN, data: '0xdeadbeef', operation: 1 }),
      expect: ['undecodable:high'],
    },
    {
      name: 'bytes smuggled after the arguments',
      run: tx({ to: TOKEN, data: `${transfer}ff` as Hex }),
      expect: ['non-canonical-encoding:medium'],
    },
    {
      name: 'bytes smuggled after the arguments of a DELEGATECALL',
      run: tx({ to: TOKEN, data: `${transfer}ff` as Hex, operation: 1 }),
      expect: ['non-canonical-encoding:high'],
    },
    {
      name: 'calldata over the configured limit',
      run: tx(
        { to: TOKEN, data: `0xa9059cbb${'00'.repeat(5000)}` as Hex },
        { limits: { maxCalldataBytes: 4096 } },
      ),
      expect: ['undecodable:medium'],
    },
    {
      name: 'an unknown call inside a MultiSend',
      run: tx({
        to: MULTISEND_CALL_ONLY,
        operation: 1,
        data: multiSend([{ to: TOKEN, data: '0x12345678' }]),
      }),
      expect: ['undecodable:medium'],
    },
    {
      name: 'a MultiSend entry with a zero `to` (MultiSend 1.5.0 sends it to the Safe itself)',
      run: tx({ to: MULTISEND_CALL_ONLY, operation: 1, data: multiSend([{ to: zeroAddress, value: 1n }]) }),
      expect: ['zero-target:high'],
      also: ([f]) => expect(f?.path).toBe('0.0'),
    },
  ],
})
