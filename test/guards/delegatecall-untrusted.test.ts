import { getAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/delegatecall-untrusted.js'
import type { SafeTx } from '../../src/model/safe.js'
import { BOB, inspectOffline, MULTISEND, MULTISEND_CALL_ONLY, multiSend, source } from '../helpers/build.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const BYBIT_IMPL = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const CALL_ONLY_130 = getAddress('0x40A2aCCbd92BCA938b02010E17A5b8929b49130D')
const SIGN_MESSAGE_LIB_130 = getAddress('0xA65387F16B013cf2Af4605Ad8aA5ec25a2cbA3a2')
const SAFE_SINGLETON_141 = getAddress('0x41675C099F32341bf84BFc5382aF534df5C7461a')
const CRIT = ['untrusted-delegatecall:critical']

const cases: Array<{ name: string; tx: Partial<SafeTx>; options?: object; expect: string[]; path?: string }> =
  [
    { name: 'a plain CALL to anything', tx: { to: BYBIT_IMPL, operation: 0 }, expect: [] },
    {
      name: 'DELEGATECALL to the official MultiSendCallOnly 1.4.1',
      tx: { to: MULTISEND_CALL_ONLY, operation: 1, data: multiSend([{ to: BOB, value: 1n }]) },
      expect: [],
    },
    {
      name: 'DELEGATECALL to the official MultiSendCallOnly 1.3.0',
      tx: { to: CALL_ONLY_130, operation: 1, data: multiSend([{ to: BOB }]) },
      expect: [],
    },
    {
      name: 'DELEGATECALL to the official SignMessageLib',
      tx: { to: SIGN_MESSAGE_LIB_130, operation: 1 },
      expect: [],
    },
    {
      name: 'Bybit: DELEGATECALL to an unknown contract',
      tx: { to: BYBIT_IMPL, operation: 1 },
      expect: CRIT,
      path: '0',
    },
    {
      name: 'DELEGATECALL to the Safe singleton itself',
      tx: { to: SAFE_SINGLETON_141, operation: 1 },
      expect: CRIT,
    },
    {
      name: 'DELEGATECALL to the official MultiSend (not trusted by default)',
      tx: { to: MULTISEND, operation: 1, data: multiSend([{ to: BOB }]) },
      expect: CRIT,
    },
    {
      name: 'official MultiSend trusted by option',
      tx: { to: MULTISEND, operation: 1, data: multiSend([{ to: BOB }]) },
      options: { trustOfficialMultiSend: true },
      expect: [],
    },
    {
      name: 'a DELEGATECALL hidden inside a trusted MultiSend',
      tx: { to: MULTISEND, operation: 1, data: multiSend([{ to: BOB }, { to: BYBIT_IMPL, operation: 1 }]) },
      options: { trustOfficialMultiSend: true },
      expect: CRIT,
      path: '0.1',
    },
    {
      name: 'an allowlisted contract',
      tx: { to: BYBIT_IMPL, operation: 1 },
      options: { allow: [BYBIT_IMPL] },
      expect: [],
    },
  ]

guardTester(
  guard,
  table(cases, async (c) => {
    const report = await inspectOffline(source(c.tx), {
      guards: { 'delegatecall-untrusted': c.options ?? {} },
    })
    const found = report.findings.filter((f) => f.guard === 'delegatecall-untrusted')
    if (c.path) expect(found[0]?.path).toBe(c.path)
    return report
  }),
)

describe('delegatecall-untrusted, beyond the table', () => {
  it('names the official contract it refuses to trust', async () => {
    const report = await inspectOffline(source({ to: SAFE_SINGLETON_141, operation: 1 }))
    expect(report.findings[0]?.message).toContain('(official Safe 1.4.1)')
  })
})
