import { concat, type Hex, numberToHex, pad } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/signature-invalid.js'
import type { Confirmation } from '../../src/model/safe.js'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import { inspectOffline, safeTx, source } from '../helpers/build.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const owner = privateKeyToAccount('0x0123456789012345678901234567890123456789012345678901234567890123')
const other = privateKeyToAccount('0x1111111111111111111111111111111111111111111111111111111111111111')
const tx = safeTx({ value: 1n, nonce: 5n })
const hash = safeTxHashes('1.4.1', 1, tx).safeTxHash
const otherHash = safeTxHashes('1.4.1', 1, safeTx({ value: 2n, nonce: 5n })).safeTxHash

// eth_sign confirmations carry v + 4 (31/32), Safe's marker for the EIP-191 prefixed hash.
const ethSign = async (h: Hex) => {
  const sig = await owner.signMessage({ message: { raw: h } })
  return `${sig.slice(0, 130)}${(Number.parseInt(sig.slice(130), 16) + 4).toString(16)}` as Hex
}
const approvedHash = concat([pad(owner.address), pad('0x00'), '0x01'])
const contractSig = concat([pad(owner.address), pad(numberToHex(65)), '0x00', pad(numberToHex(2)), '0xbeef'])

const cases: Array<{ name: string; confirmations: () => Promise<Confirmation[]>; expect: string[] }> = [
  { name: 'no confirmations', confirmations: async () => [], expect: [] },
  {
    name: 'an EIP-712 signature by the claimed owner',
    confirmations: async () => [{ owner: owner.address, signature: await owner.sign({ hash }) }],
    expect: ['owners-unknown:info'],
  },
  {
    name: 'a signature over another hash (recovers to someone else)',
    confirmations: async () => [{ owner: owner.address, signature: await owner.sign({ hash: otherHash }) }],
    expect: ['signer-mismatch:high', 'owners-unknown:info'],
  },
  {
    name: 'an API that lies about who signed',
    confirmations: async () => [{ owner: owner.address, signature: await other.sign({ hash }) }],
    expect: ['signer-mismatch:high', 'owners-unknown:info'],
  },
  {
    name: 'eth_sign (v 31/32) by the owner',
    confirmations: async () => [{ owner: owner.address, signature: await ethSign(hash) }],
    expect: ['eth-sign:info', 'owners-unknown:info'],
  },
  {
    name: 'WazirX-style eth_sign over another hash',
    confirmations: async () => [{ owner: owner.address, signature: await ethSign(otherHash) }],
    expect: ['signer-mismatch:high', 'eth-sign:info', 'owners-unknown:info'],
  },
  {
    name: 'an approved-hash confirmation (checked on chain only with --rpc)',
    confirmations: async () => [{ owner: owner.address, signature: approvedHash }],
    expect: ['owners-unknown:info'],
  },
  {
    name: 'a contract signature without --rpc',
    confirmations: async () => [{ owner: owner.address, signature: contractSig }],
    expect: ['contract-signature-unverified:info', 'owners-unknown:info'],
  },
  {
    name: 'the same signer twice',
    confirmations: async () => {
      const s = await owner.sign({ hash })
      return [{ signature: s }, { signature: s }]
    },
    expect: ['duplicate-signer:medium', 'owners-unknown:info'],
  },
  {
    name: 'more confirmations than custos checks (the rest is counted, not checked)',
    confirmations: async () => {
      const s = await owner.sign({ hash })
      return Array.from({ length: 101 }, () => ({ signature: s }))
    },
    expect: [
      'too-many-confirmations:high',
      ...Array.from({ length: 99 }, () => 'duplicate-signer:medium'),
      'owners-unknown:info',
    ],
  },
  {
    name: 'malformed signatures',
    confirmations: async () => [
      { signature: '0x1234' },
      { signature: concat([pad('0x01'), pad('0x02'), '0x05']) },
      { signature: concat([pad(owner.address), pad(numberToHex(900)), '0x00']) },
    ],
    expect: ['malformed:high', 'malformed:high', 'malformed:high', 'owners-unknown:info'],
  },
]

guardTester(guard, {
  ...table(cases, async (c) =>
    inspectOffline(source({ value: 1n, nonce: 5n }, { confirmations: await c.confirmations() })),
  ),
  untested: {
    'not-an-owner': "needs the Safe's owners from a chain (--rpc): test/lab/signatures.test.ts, on anvil",
    'contract-signature-invalid': 'needs an EIP-1271 call on a chain (--rpc): test/lab/signatures.test.ts',
    'approval-not-on-chain': 'needs approvedHashes read from a chain (--rpc): test/lab/signatures.test.ts',
  },
})

describe('signature-invalid, beyond the table', () => {
  it('recovers the real signer for each kind', async () => {
    const report = await inspectOffline(
      source(
        { value: 1n, nonce: 5n },
        {
          confirmations: [
            { signature: await owner.sign({ hash }) },
            { signature: await ethSign(hash) },
            { signature: contractSig },
          ],
        },
      ),
    )
    expect(report.signatures.map((s) => [s.kind, s.signer])).toEqual([
      ['ecdsa', owner.address],
      ['eth_sign', owner.address],
      ['contract', owner.address],
    ])
    expect(report.signatures[2]?.contractData).toBe('0xbeef')
  })
})
