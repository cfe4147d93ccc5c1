import { encodeFunctionData, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import type { SafeTx } from '../../src/model/safe.js'
import {
  BOB,
  codesOf,
  erc20,
  inspectOffline,
  MULTISEND_CALL_ONLY,
  multiSend,
  source,
  TOKEN,
} from '../helpers/build.js'

const transfer = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [BOB, 1n] })

const cases: Array<{ name: string; tx: Partial<SafeTx>; config?: object; expect: string[] }> = [
  { name: 'a plain ETH transfer', tx: { value: 1n }, expect: [] },
  { name: 'a known function', tx: { to: TOKEN, data: transfer }, expect: [] },
  {
    name: 'an unknown function',
    tx: { to: TOKEN, data: '0xdeadbeef00' },
    expect: ['undecodable/undecodable:medium'],
  },
  {
    name: 'an unknown function by DELEGATECALL',
    tx: { to: TOKEN, data: '0xdeadbeef', operation: 1 },
    expect: ['undecodable/undecodable:high'],
  },
  {
    name: 'bytes smuggled after the arguments',
    tx: { to: TOKEN, data: `${transfer}ff` as Hex },
    expect: ['undecodable/non-canonical-encoding:medium'],
  },
  {
    name: 'calldata over the configured limit',
    tx: { to: TOKEN, data: `0xa9059cbb${'00'.repeat(5000)}` as Hex },
    config: { limits: { maxCalldataBytes: 4096 } },
    expect: ['undecodable/undecodable:medium'],
  },
  {
    name: 'an unknown call inside a MultiSend',
    tx: { to: MULTISEND_CALL_ONLY, operation: 1, data: multiSend([{ to: TOKEN, data: '0x12345678' }]) },
    expect: ['undecodable/undecodable:medium'],
  },
  {
    name: 'an unknown function made known by a config ABI',
    tx: { to: TOKEN, data: '0xa694fc3a000000000000000000000000000000000000000000000000000000000000002a' },
    config: { abis: [{ name: 'staking', signatures: ['function stake(uint256 amount)'] }] },
    expect: [],
  },
]

describe('undecodable', () => {
  it.each(cases)('$name', async (c) => {
    expect(codesOf(await inspectOffline(source(c.tx), c.config ?? {}), 'undecodable')).toEqual(c.expect)
  })
})
