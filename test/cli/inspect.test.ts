import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli } from './run.js'

const corpus = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/corpus', `${name}.json`), 'utf8'))
const bybit = JSON.stringify(corpus('bybit-2025-02').tx)
const transfer = JSON.stringify(corpus('sepolia-eth-transfer').tx)
const sepolia = ['--chain-id', '11155111', '--safe-version', '1.4.1']

describe('custos inspect', () => {
  it('prints the three hashes first, then the calls, the findings and the risk', async () => {
    const r = await cli(['inspect', '--file', '-', ...sepolia], { stdin: transfer })
    expect(r.code).toBe(0)
    const order = [
      'Domain hash   0x611379c1',
      'Message hash  0x565bba8b',
      'safeTxHash    0xcb8bbe7b',
      'Calls',
      'Findings',
      'Risk: NONE',
    ]
    const positions = order.map((s) => r.stdout.indexOf(s))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(r.stdout).toContain('claimed       matches')
  })

  it('exits 1 on the Bybit transaction and says why', async () => {
    const r = await cli(['inspect', '--file', '-', '--chain-id', '1', '--safe-version', '1.1.1'], {
      stdin: bybit,
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('DELEGATECALL 0x96221423681A6d52E184D440a8eFCEbB105C7242')
    expect(r.stdout).toMatch(/CRITICAL\s+delegatecall-untrusted\/untrusted-delegatecall/)
  })

  it.each([
    [['--fail-on', 'critical'], bybit, 1],
    [['--fail-on', 'info'], transfer, 0],
    [['--fail-on', 'none'], transfer, 1],
  ])('honours --fail-on %j', async (flags, stdin, code) => {
    const chain = stdin === bybit ? ['--chain-id', '1', '--safe-version', '1.1.1'] : sepolia
    expect((await cli(['inspect', '--file', '-', ...chain, ...flags], { stdin })).code).toBe(code)
  })

  it('gives machines JSON with hashes, calls, findings and risk', async () => {
    const r = await cli(
      ['inspect', '--file', '-', '--chain-id', '1', '--safe-version', '1.1.1', '--format', 'json'],
      { stdin: bybit },
    )
    const json = JSON.parse(r.stdout)
    expect(json.hashes).toMatchObject({ claimedSafeTxHash: null, match: null })
    expect(json.hashes.safeTxHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(json.calls[0]).toMatchObject({
      to: '0x96221423681A6d52E184D440a8eFCEbB105C7242',
      value: '0',
      operation: 'delegatecall',
      function: 'transfer(address,uint256)',
    })
    expect(json.calls[0].args[1]).toEqual({ name: 'amount', type: 'uint256', value: '0' })
    expect(json.findings[0]).toMatchObject({
      guard: 'delegatecall-untrusted',
      code: 'untrusted-delegatecall',
      severity: 'critical',
    })
    expect(json.risk).toEqual({ level: 'critical', score: 85 })
  })

  it.each([
    ['malformed JSON', '{"safe": ', /^custos: stdin is not valid JSON: /],
    ['a JSON array', '[]', /expected a JSON object/],
    [
      'a short address',
      transfer.replace('0x255C3912f91eF11bFDadd405F13144a823Da8cc5', '0x255C3912f91e'),
      /to: expected a 20-byte hex address/,
    ],
    [
      'a bad checksum',
      transfer.replace(
        '0x255C3912f91eF11bFDadd405F13144a823Da8cc5',
        '0x255c3912f91eF11bFDadd405F13144a823Da8cc5',
      ),
      /to: address has an invalid EIP-55 checksum/,
    ],
    ['a fractional nonce', transfer.replace('"nonce":4', '"nonce":4.5'), /nonce: expected an integer/],
    [
      'a negative value',
      transfer.replace('"100000000000000000"', '"-1"'),
      /value: expected a decimal unsigned integer/,
    ],
    [
      'odd-length data',
      transfer.replace('"data":null', '"data":"0x123"'),
      /data: expected 0x-prefixed hex bytes/,
    ],
    [
      'operation 3',
      transfer.replace('"operation":0', '"operation":3'),
      /operation: expected 0 \(CALL\), 1 \(DELEGATECALL\) or 2 \(CREATE/,
    ],
    [
      'operation 2 (CREATE) on a Safe 1.4.1',
      transfer.replace('"operation":0', '"operation":2'),
      /operation 2 \(CREATE\) exists only in Safe 0\.1\.0 and 1\.0\.0; Safe 1\.4\.1 takes 0 \(CALL\) or 1 \(DELEGATECALL\)/,
    ],
    ['a missing field', transfer.replace('"safeTxGas":0,', ''), /safeTxGas: /],
  ])('exits 2 with a one-line message on %s', async (_name, stdin, message) => {
    const r = await cli(['inspect', '--file', '-', ...sepolia], { stdin })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stdout).toBe('')
  })

  it.each([
    [[], /without --rpc, custos cannot read the Safe from a chain: give --chain-id and --safe-version/],
    [['--chain-id', '1'], /give --safe-version$/m],
    [['--chain-id', '1', '--safe-version', '9.9.9'], /unsupported Safe version "9.9.9"/],
    [['--chain-id', 'one', '--safe-version', '1.3.0'], /--chain-id must be a positive integer/],
  ])('explains what is missing without --rpc: %j', async (flags, message) => {
    const r = await cli(['inspect', '--file', '-', ...flags], { stdin: transfer })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('exits 2 for a file that does not exist and for no input at all', async () => {
    expect((await cli(['inspect', '--file', '/nonexistent/tx.json', ...sepolia])).stderr).toMatch(
      /cannot read \/nonexistent\/tx.json: ENOENT/,
    )
    expect((await cli(['inspect', ...sepolia])).stderr).toMatch(/nothing to inspect/)
  })

  it('reports oversized calldata as a finding, not a crash', async () => {
    const { safeTxHash: _claim, ...fields } = corpus('sepolia-eth-transfer').tx
    const tx = { ...fields, data: `0xa9059cbb${'ab'.repeat(1024 * 1024 + 10)}` }
    const r = await cli(['inspect', '--file', '-', ...sepolia, '--format', 'json'], {
      stdin: JSON.stringify(tx),
    })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).findings[0]).toMatchObject({ guard: 'undecodable', severity: 'medium' })
  })

  it('refuses input too large to be a transaction', async () => {
    const r = await cli(['inspect', '--file', '-', ...sepolia], { stdin: ' '.repeat(17 * 1024 * 1024) })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/stdin is larger than/)
  })

  it('keeps RPC keys out of error messages', async () => {
    const r = await cli(['inspect', '--file', '-', '--rpc', 'http://127.0.0.1:1/v2/SECRETKEY123'], {
      stdin: transfer,
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^custos: cannot reach the RPC node/)
    expect(r.stderr).not.toContain('SECRETKEY123')
  })

  it('accepts a file shaped { "tx": … } and takes its chain id and version, saying so', async () => {
    const path = join(import.meta.dirname, '../fixtures/corpus/bybit-2025-02.json')
    const r = await cli(['inspect', '--file', path])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('chain 1 · Safe 1.1.1 · nonce 71')
    expect(r.stdout).toContain('note: chain id 1 from the file (give --chain-id to override it)')
    expect(r.stdout).toContain('note: Safe version 1.1.1 from the file')
  })

  it('says offline that the owners and the nonce were not checked', async () => {
    const text = await cli(['inspect', '--file', '-', ...sepolia], { stdin: transfer })
    expect(text.stdout).toContain(
      "note: offline: the confirmations were not checked against the Safe's current owners, nor the nonce",
    )
    const json = JSON.parse(
      (await cli(['inspect', '--file', '-', ...sepolia, '--format', 'json'], { stdin: transfer })).stdout,
    )
    expect(json.notes).toEqual([expect.stringMatching(/^offline: the confirmations were not checked/)])
  })

  it('points at a typed chain id or version when the hash does not match', async () => {
    const r = await cli(['inspect', '--file', '-', '--chain-id', '1', '--safe-version', '1.4.1'], {
      stdin: transfer,
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/CRITICAL\s+hash-mismatch\/hash-mismatch/)
    expect(r.stdout).toContain('if you typed --chain-id or --safe-version, check them first')
    const right = await cli(['inspect', '--file', '-', ...sepolia], { stdin: transfer })
    expect(right.stdout).not.toContain('if you typed --chain-id')
  })

  it('uses --config offline (address book) when --chain-id and --safe-version are given', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'custos-inspect-')), 'custos.yaml')
    writeFileSync(
      config,
      [
        'chains: { "1": { rpc: [{ env: MAINNET_RPC_URL }] } }',
        'addressBook: [{ address: "0x96221423681A6d52E184D440a8eFCEbB105C7242", name: "Vendor payout contract" }]',
      ].join('\n'),
    )
    const args = ['inspect', '--file', '-', '--chain-id', '1', '--safe-version', '1.1.1', '--config', config]
    const r = await cli(args, { stdin: bybit })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('(Vendor payout contract)')
    expect(r.stdout).toContain(
      "note: chains.1.rpc: MAINNET_RPC_URL not set, so the config's RPC was not used",
    )
    // Simulating needs the RPC: there the unset variable is an error.
    const sim = await cli([...args, '--simulate'], { stdin: bybit })
    expect(sim.code).toBe(2)
    expect(sim.stderr).toContain('MAINNET_RPC_URL is not set')
  })

  it('has help for every command', async () => {
    for (const args of [
      ['--help'],
      ['inspect', '--help'],
      ['config', 'check', '--help'],
      ['guards', '--help'],
    ]) {
      const r = await cli(args)
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/Usage: custos/)
    }
    expect((await cli(['inspect', '--help'])).stdout).toMatch(/Exit codes: 0 risk below --fail-on/)
    expect((await cli(['bogus'])).code).toBe(2)
  })
})
