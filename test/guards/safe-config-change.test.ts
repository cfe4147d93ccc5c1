import { encodeFunctionData, type Hex, parseAbi, zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/safe-config-change.js'
import type { SafeTx } from '../../src/model/safe.js'
import {
  ALICE,
  BOB,
  codesOf,
  inspectOffline,
  MULTISEND_CALL_ONLY,
  multiSend,
  SAFE,
  safeAbi,
  source,
} from '../helpers/build.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const call = (functionName: string, args: unknown[]): Hex =>
  encodeFunctionData({ abi: safeAbi, functionName, args } as never)
const HIGH = ['config-change:high']

const cases: Array<{ name: string; tx: Partial<SafeTx>; expect: string[]; message?: RegExp }> = [
  {
    name: 'addOwnerWithThreshold',
    tx: { to: SAFE, data: call('addOwnerWithThreshold', [ALICE, 1n]) },
    expect: HIGH,
    message: /adds owner .* threshold to 1/,
  },
  {
    name: 'changeThreshold',
    tx: { to: SAFE, data: call('changeThreshold', [1n]) },
    expect: HIGH,
    message: /changes the threshold to 1/,
  },
  {
    name: 'swapOwner',
    tx: { to: SAFE, data: call('swapOwner', ['0x0000000000000000000000000000000000000001', ALICE, BOB]) },
    expect: HIGH,
  },
  {
    name: 'enableModule',
    tx: { to: SAFE, data: call('enableModule', [BOB]) },
    expect: HIGH,
    message: /move funds without signatures/,
  },
  {
    name: 'setGuard(0) removes the guard',
    tx: { to: SAFE, data: call('setGuard', [zeroAddress]) },
    expect: HIGH,
    message: /removes the transaction guard/,
  },
  {
    name: 'changeMasterCopy is a singleton change',
    tx: { to: SAFE, data: call('changeMasterCopy', [BOB]) },
    expect: ['singleton-change:critical'],
  },
  {
    name: 'enableModule inside a MultiSend batch',
    tx: {
      to: MULTISEND_CALL_ONLY,
      operation: 1,
      data: multiSend([
        { to: BOB, value: 1n },
        { to: SAFE, data: call('enableModule', [BOB]) },
      ]),
    },
    expect: HIGH,
  },
  {
    name: 'the same function on another contract',
    tx: { to: BOB, data: call('changeThreshold', [1n]) },
    expect: [],
  },
  { name: 'an ordinary transfer', tx: { to: BOB, value: 5n }, expect: [] },
]

guardTester(
  guard,
  table(cases, async (c) => {
    const report = await inspectOffline(source(c.tx))
    if (c.message)
      expect(report.findings.find((f) => f.guard === 'safe-config-change')?.message).toMatch(c.message)
    return report
  }),
)

describe('safe-config-change, where the target hides', () => {
  it('sees a MultiSend 1.5.0 entry with a zero `to`, which runs on the Safe itself', async () => {
    const callOnly150 = '0xA83c336B20401Af773B6219BA5027174338D1836'
    const data = multiSend([
      { to: '0x0000000000000000000000000000000000000000', data: call('addOwnerWithThreshold', [BOB, 1n]) },
    ])
    const report = await inspectOffline(source({ to: callOnly150, operation: 1, data }))
    expect(codesOf(report, 'safe-config-change')).toEqual(['safe-config-change/config-change:high'])
    expect(codesOf(report, 'undecodable')).toEqual(['undecodable/zero-target:high'])
    expect(report.call.calls?.[0]?.to).toBe(SAFE)
  })

  it('sees a config change on a nested Safe run through execTransaction', async () => {
    const exec = encodeFunctionData({
      abi: parseAbi([
        'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures)',
      ]),
      functionName: 'execTransaction',
      args: [
        BOB,
        0n,
        call('addOwnerWithThreshold', [ALICE, 1n]),
        0,
        0n,
        0n,
        0n,
        zeroAddress,
        zeroAddress,
        '0x',
      ],
    })
    const report = await inspectOffline(source({ to: BOB, data: exec }))
    const [finding] = report.findings.filter((f) => f.guard === 'safe-config-change')
    expect(finding).toMatchObject({ code: 'config-change', severity: 'high', path: '0.0' })
    expect(finding?.message).toMatch(/on nested Safe/)
  })

  it('reads arguments by position, whatever a config ABI calls them', async () => {
    const report = await inspectOffline(
      source({ to: SAFE, data: call('addOwnerWithThreshold', [BOB, 1n]) }),
      {
        abis: [{ name: 'mine', signatures: ['function addOwnerWithThreshold(address who, uint256 t)'] }],
      },
    )
    expect(report.findings.find((f) => f.guard === 'safe-config-change')?.message).toBe(
      `addOwnerWithThreshold: adds owner ${BOB} and sets the threshold to 1`,
    )
  })
})
