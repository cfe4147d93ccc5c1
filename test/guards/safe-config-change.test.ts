import { encodeFunctionData, type Hex, zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
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

const call = (functionName: string, args: unknown[]): Hex =>
  encodeFunctionData({ abi: safeAbi, functionName, args } as never)
const HIGH = ['safe-config-change/config-change:high']

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
    expect: ['safe-config-change/singleton-change:critical'],
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

describe('safe-config-change', () => {
  it.each(cases)('$name', async (c) => {
    const report = await inspectOffline(source(c.tx))
    expect(codesOf(report, 'safe-config-change')).toEqual(c.expect)
    if (c.message)
      expect(report.findings.find((f) => f.guard === 'safe-config-change')?.message).toMatch(c.message)
  })
})
