import { getAddress, zeroAddress } from 'viem'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import { type FakeTxService, startFakeTxService } from '../fakes/tx-service.js'
import { BOB, safeTx } from '../helpers/build.js'
import { cli } from './run.js'

const SAFE = getAddress('0x657ff0D4eC65D82b2bC1247b0a558bcd2f80A0f1')
const serviceTx = (fields: Parameters<typeof safeTx>[0]) => {
  const tx = safeTx({ safe: SAFE, nonce: 4n, ...fields })
  return {
    safe: tx.safe,
    to: tx.to,
    value: tx.value.toString(),
    data: tx.data === '0x' ? null : tx.data,
    operation: tx.operation,
    safeTxGas: 0,
    baseGas: 0,
    gasPrice: '0',
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce: Number(tx.nonce),
    safeTxHash: safeTxHashes('1.4.1', 11155111, tx).safeTxHash,
    confirmations: [],
  }
}

let service: FakeTxService
beforeAll(async () => {
  service = await startFakeTxService()
})
afterAll(() => service?.close())
beforeEach(() => {
  service.transactions = [
    serviceTx({ to: BOB, value: 10n ** 17n }),
    serviceTx({ to: BOB, value: 10n ** 20n }),
  ]
  service.requests = []
  delete service.status
})

const args = ['inspect', '--safe', SAFE, '--nonce', '4', '--chain-id', '11155111', '--safe-version', '1.4.1']

describe('custos inspect --safe --nonce (through api-kit, against a fake transaction service)', () => {
  it('inspects every transaction competing for the nonce', async () => {
    const r = await cli([...args, '--tx-service', service.url, '--format', 'json'])
    expect(r.stderr).toBe('')
    const json = JSON.parse(r.stdout)
    expect(json.nonce).toBe('4')
    expect(json.reports).toHaveLength(2)
    for (const report of json.reports) {
      expect(report.hashes.match).toBe(true)
      expect(report.findings.map((f: { code: string }) => f.code)).toContain('competing-transactions')
    }
    expect(service.requests[0]?.path).toBe(
      `/api/v2/safes/${SAFE}/multisig-transactions/?nonce=4&limit=100&offset=0`,
    )
  })

  it('sends the API key from the named environment variable as a bearer token', async () => {
    const r = await cli([...args, '--tx-service', service.url, '--api-key-env', 'MY_KEY'], {
      env: { MY_KEY: 'k-123' },
    })
    expect(r.stdout).toContain('2 transactions compete for this nonce')
    expect(service.requests[0]?.auth).toBe('Bearer k-123')
  })

  it.each([
    ['an unset API key variable', ['--tx-service', 'URL', '--api-key-env', 'NOPE'], /NOPE .* is not set/],
    ['the hosted service without a key', [], /needs an API key/],
    ['no --chain-id', ['--chain-id'], /--safe needs --chain-id/],
  ])('exits 2 on %s', async (_name, extra, message) => {
    let argv = [...args, ...extra.map((a) => (a === 'URL' ? service.url : a))]
    if (extra[0] === '--chain-id')
      argv = ['inspect', '--safe', SAFE, '--nonce', '4', '--safe-version', '1.4.1']
    const r = await cli(argv)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('exits 2 when the service fails', async () => {
    service.status = 503
    const r = await cli([...args, '--tx-service', service.url])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/transaction service request failed \(HTTP 503\)/)
  })

  it('exits 2 when the service returns another Safe or a broken transaction, never trusting it', async () => {
    service.transactions = [{ ...serviceTx({}), safe: BOB }]
    service.transactions[0] = { ...service.transactions[0], safe: SAFE, to: 'not an address' }
    const r = await cli([...args, '--tx-service', service.url])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/transaction service result 0 is not a valid Safe transaction: to: /)
  })

  it('flags a hash the service lies about', async () => {
    service.transactions = [{ ...serviceTx({ to: BOB }), safeTxHash: serviceTx({ to: SAFE }).safeTxHash }]
    const r = await cli([...args, '--tx-service', service.url])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/CRITICAL\s+hash-mismatch\/hash-mismatch/)
  })

  it('says so when the nonce is empty', async () => {
    const r = await cli([
      'inspect',
      '--safe',
      SAFE,
      '--nonce',
      '5',
      '--chain-id',
      '11155111',
      '--safe-version',
      '1.4.1',
      '--tx-service',
      service.url,
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no transaction for .* at nonce 5/)
  })
})
