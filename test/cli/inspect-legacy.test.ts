import { zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import { cli } from './run.js'

// Safe 0.1.0 and 1.0.0 take operation 2 (CREATE): the Safe deploys `data` as init code. The
// vectors are published in safe-eth-py's tests (test_safe_tx.py, test_hash_safe_multisig_tx).
const create = {
  safe: '0x692a70D2e424a56D2C6C27aA97D1a86395877b3A',
  to: zeroAddress,
  value: '80000000',
  data: '0x562944',
  operation: 2,
  safeTxGas: '54522',
  baseGas: '773',
  gasPrice: '22000000',
  gasToken: zeroAddress,
  refundReceiver: zeroAddress,
  nonce: '257000',
}
const inspect = (version: string, tx: object = create) =>
  cli(['inspect', '--file', '-', '--chain-id', '1', '--safe-version', version, '--format', 'json'], {
    stdin: JSON.stringify(tx),
  })

describe('custos inspect: CREATE (operation 2) on legacy Safes', () => {
  it.each([
    ['0.1.0', '0x8ca8db91d72b379193f6e229eb2dff0d0621b6ef452d90638ee3206e9b7349b3'],
    ['1.0.0', '0xf585279fd867c94738096f4eab964e9e202014d2f0d5155d751099ad85cbe504'],
  ])('hashes it for Safe %s and raises contract creation as high', async (version, safeTxHash) => {
    const r = await inspect(version)
    expect(r.stderr).toBe('')
    const json = JSON.parse(r.stdout)
    expect(json.hashes.safeTxHash).toBe(safeTxHash)
    expect(json.calls[0]).toMatchObject({ operation: 'create', data: '0x562944', function: null })
    expect(json.findings).toContainEqual(
      expect.objectContaining({ guard: 'contract-creation', code: 'contract-creation', severity: 'high' }),
    )
    expect(json.findings.map((f: { guard: string }) => f.guard)).not.toContain('undecodable')
    expect(r.code).toBe(1)
  })

  it('matches the published hash with the claimed safeTxHash as well', async () => {
    const r = await inspect('1.0.0', {
      ...create,
      safeTxHash: '0xf585279fd867c94738096f4eab964e9e202014d2f0d5155d751099ad85cbe504',
    })
    expect(JSON.parse(r.stdout).hashes.match).toBe(true)
  })

  it('shows CREATE in the text report', async () => {
    const r = await cli(['inspect', '--file', '-', '--chain-id', '1', '--safe-version', '1.0.0'], {
      stdin: JSON.stringify(create),
    })
    expect(r.stdout).toMatch(/0 {5}CREATE/)
    expect(r.stdout).toMatch(/HIGH\s+contract-creation\/contract-creation/)
  })

  it.each(['1.1.1', '1.3.0', '1.4.1'])('still refuses it for Safe %s, with one line', async (version) => {
    const r = await inspect(version)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(
      new RegExp(
        `operation 2 \\(CREATE\\) exists only in Safe 0\\.1\\.0 and 1\\.0\\.0; Safe ${version.replace(/\./g, '\\.')} takes 0 \\(CALL\\) or 1 \\(DELEGATECALL\\)`,
      ),
    )
  })

  it('refuses operations that exist in no Safe', async () => {
    const r = await inspect('1.0.0', { ...create, operation: 3 })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /operation: expected 0 \(CALL\), 1 \(DELEGATECALL\) or 2 \(CREATE, Safe 0\.1\.0 and 1\.0\.0 only\)/,
    )
  })
})
