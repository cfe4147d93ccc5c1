import { describe, expect, it } from 'vitest'
import { cli } from './run.js'

// Any input within the size limit is judged with bounded work. The CPU figures belong in
// `npm run bench` and the notes; this only asserts a generous bound that the unbounded code
// (about 9 s of CPU for 5,000 duplicate confirmations) was far above.

const tx = (confirmations: unknown[]) =>
  JSON.stringify({
    safe: '0x657ff0D4eC65D82b2bC1247b0a558bcd2f80A0f1',
    to: '0x255C3912f91eF11bFDadd405F13144a823Da8cc5',
    value: '1',
    data: null,
    operation: 0,
    safeTxGas: 0,
    baseGas: 0,
    gasPrice: '0',
    nonce: 4,
    confirmations,
  })
// A valid ECDSA signature (of 0x11…11 by a throwaway key): each copy costs a full recovery.
const VALID =
  '0x52b3774c49bda26d458c0eed1e3fdb146c8c331c24bd508f6ce1effa20aec38158309bc5daaaa9ae7e6ac4087d3ae7972796ebfa6f5af696a1e1b105bab1dfa91c'
// ECDSA signatures (v = 27) with distinct r (not every r is a curve point).
const ecdsa = (i: number) => ({
  signature: `0x${(i + 1).toString(16).padStart(64, '7')}${'3'.repeat(64)}1b`,
})

describe('custos inspect: bounded work for any number of confirmations', () => {
  it.each([
    ['5,000 duplicates', Array.from({ length: 5000 }, () => ({ signature: VALID }))],
    ['5,000 distinct ones', Array.from({ length: 5000 }, (_, i) => ecdsa(i))],
  ])('checks at most 100 of %s and reports the rest as high', async (_name, confirmations) => {
    const stdin = tx(confirmations)
    expect(stdin.length).toBeGreaterThan(500_000)
    const started = process.cpuUsage()
    const r = await cli(
      ['inspect', '--file', '-', '--chain-id', '11155111', '--safe-version', '1.4.1', '--format', 'json'],
      { stdin },
    )
    const cpu = process.cpuUsage(started)
    const json = JSON.parse(r.stdout) as {
      signatures: unknown[]
      findings: Array<{ guard: string; code: string; severity: string; message: string }>
    }
    expect(r.code).toBe(1)
    expect(json.signatures).toHaveLength(100)
    expect(json.findings.filter((f) => f.code === 'too-many-confirmations')).toEqual([
      {
        guard: 'signature-invalid',
        code: 'too-many-confirmations',
        severity: 'high',
        message:
          '5000 confirmations for a Safe that counts at most one per owner: custos checked the first 100 and not the other 4900',
      },
    ])
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(4000)
  })

  it('judges a claim of megabytes without encoding it: it cannot fit in the calldata', async () => {
    const stdin = JSON.stringify({
      ...JSON.parse(tx([])),
      to: '0x7070000000000000000000000000000000000007',
      data: `0xa9059cbb${'00'.repeat(64)}`,
      dataDecoded: {
        method: 'transfer',
        parameters: [{ name: 'to', type: 'uint256[]', value: Array.from({ length: 3_000_000 }, () => 0) }],
      },
    })
    expect(stdin.length).toBeGreaterThan(6_000_000)
    const started = process.cpuUsage()
    const r = await cli(
      ['inspect', '--file', '-', '--chain-id', '11155111', '--safe-version', '1.4.1', '--format', 'json'],
      { stdin },
    )
    const cpu = process.cpuUsage(started)
    const json = JSON.parse(r.stdout) as {
      findings: Array<{ code: string; severity: string; message: string }>
    }
    expect(json.findings).toContainEqual(
      expect.objectContaining({
        code: 'decoded-mismatch',
        severity: 'high',
        message: expect.stringMatching(/values that encode to more than \d+ bytes, but the calldata has 64/),
      }),
    )
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(4000)
  })
})
