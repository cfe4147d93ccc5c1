import { encodeFunctionData, type Hex, parseEther } from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/large-transfer.js'
import type { SafeTx } from '../../src/model/safe.js'
import {
  ALICE,
  BOB,
  erc20,
  inspectOffline,
  MULTISEND,
  MULTISEND_CALL_ONLY,
  multiSend,
  SAFE,
  source,
  TOKEN,
} from '../helpers/build.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const transfer = (amount: bigint): Hex =>
  encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [BOB, amount] })
const config = {
  tokens: [{ address: TOKEN, symbol: 'USDC', decimals: 6 }],
  guards: {
    'large-transfer': {
      thresholds: [
        { token: 'native', max: '1' },
        { token: TOKEN, max: '1000' },
      ],
    },
  },
}
const HIGH = ['large-transfer:high']

const cases: Array<{ name: string; tx: Partial<SafeTx>; config?: object; expect: string[] }> = [
  { name: 'ETH under the threshold', tx: { value: parseEther('0.5') }, expect: [] },
  { name: 'ETH over the threshold', tx: { value: parseEther('2') }, expect: HIGH },
  { name: 'tokens under the threshold', tx: { to: TOKEN, data: transfer(999_000000n) }, expect: [] },
  { name: 'tokens over the threshold', tx: { to: TOKEN, data: transfer(1000_000001n) }, expect: HIGH },
  {
    name: 'a batch that stays under per transfer but not in sum',
    tx: {
      to: MULTISEND_CALL_ONLY,
      operation: 1,
      data: multiSend([
        { to: TOKEN, data: transfer(600_000000n) },
        { to: TOKEN, data: transfer(600_000000n) },
      ]),
    },
    expect: HIGH,
  },
  {
    name: "transferFrom moving the Safe's own tokens",
    tx: {
      to: TOKEN,
      data: encodeFunctionData({
        abi: erc20,
        functionName: 'transferFrom',
        args: [SAFE, ALICE, 5000_000000n],
      }),
    },
    expect: HIGH,
  },
  {
    name: "transferFrom moving someone else's tokens",
    tx: {
      to: TOKEN,
      data: encodeFunctionData({
        abi: erc20,
        functionName: 'transferFrom',
        args: [BOB, ALICE, 5000_000000n],
      }),
    },
    expect: [],
  },
  {
    name: 'a MultiSend CALLed (the transfers come from MultiSend, not the Safe)',
    tx: { to: MULTISEND, operation: 0, data: multiSend([{ to: TOKEN, data: transfer(5000_000000n) }]) },
    expect: [],
  },
  {
    name: 'an OpenZeppelin 5 ABI (`value`, not `amount`) still sums the transfer',
    tx: { to: TOKEN, data: transfer(5000_000000n) },
    config: {
      ...config,
      abis: [{ name: 'oz5', signatures: ['function transfer(address to, uint256 value) returns (bool)'] }],
    },
    expect: HIGH,
  },
  { name: 'no thresholds configured', tx: { value: parseEther('1000') }, config: {}, expect: [] },
  {
    name: 'a threshold whose decimals are unknown fails closed',
    tx: { to: BOB, data: transfer(1n) },
    config: { guards: { 'large-transfer': { thresholds: [{ token: BOB, max: '1' }] } } },
    expect: ['guard-error:high'],
  },
]

guardTester(
  guard,
  table(cases, (c) => inspectOffline(source(c.tx), c.config ?? config)),
)

describe('large-transfer, beyond the table', () => {
  it('says how much, in token units, to whom', async () => {
    const report = await inspectOffline(source({ to: TOKEN, data: transfer(1234_500000n) }), config)
    expect(report.findings.find((f) => f.guard === 'large-transfer')?.message).toBe(
      `sends 1,234.5 USDC to ${BOB}, above the 1000 threshold`,
    )
  })
})
