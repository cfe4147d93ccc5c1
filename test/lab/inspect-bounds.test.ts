import { type Address, type Hex, pad, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../../src/lab/index.js'
import { cli } from '../cli/run.js'
import { type RpcCounter, startRpcCounter } from '../helpers/rpc-counter.js'

// Confirmations are input: custos must not do work (or ask the node) in proportion to how many
// a source sends. A Safe counts one per owner; the rest is checked no further than a bound.

let lab: Lab
let safe: Address
let rpc: RpcCounter

beforeAll(async () => {
  lab = await startLab()
  const owners = lab.accounts.slice(1, 4).map((a) => a.address)
  safe = await lab.createSafe({ owners, threshold: 2 })
  rpc = await startRpcCounter(lab.rpcUrl)
})
afterAll(async () => {
  await rpc?.close()
  await lab?.stop()
})

/** An approved-hash confirmation (v = 1) naming `signer` in r: with --rpc, one question each. */
const approvedHash = (i: number) => {
  const signer = `0x${(i + 1).toString(16).padStart(40, '0')}` as Address
  return { owner: signer, signature: `${pad(signer)}${'0'.repeat(64)}01` as Hex }
}

describe('custos inspect --rpc with thousands of confirmations', () => {
  it('checks the owners plus a margin, reports the rest, and asks the node a bounded number of times', async () => {
    const tx = {
      safe,
      to: lab.accounts[5]?.address,
      value: '1',
      data: null,
      operation: 0,
      safeTxGas: 0,
      baseGas: 0,
      gasPrice: '0',
      gasToken: zeroAddress,
      refundReceiver: zeroAddress,
      nonce: 0,
      confirmations: Array.from({ length: 8000 }, (_, i) => approvedHash(i)),
    }
    rpc.reset()
    const r = await cli(['inspect', '--file', '-', '--rpc', rpc.url, '--format', 'json'], {
      stdin: JSON.stringify(tx),
    })
    expect(r.stderr).toBe('')
    const json = JSON.parse(r.stdout) as {
      signatures: unknown[]
      findings: Array<{ guard: string; code: string; severity: string; message: string }>
    }
    // 3 owners + a margin of 5 are checked; 7,992 are counted and reported.
    expect(json.signatures).toHaveLength(8)
    const excess = json.findings.find((f) => f.code === 'too-many-confirmations')
    expect(excess).toMatchObject({ guard: 'signature-invalid', severity: 'high' })
    expect(excess?.message).toMatch(/^8000 confirmations .* checked the first 8 .* not the other 7992$/)
    expect(rpc.calls.get('eth_call')).toBeLessThanOrEqual(4 + 8)
    expect(rpc.total()).toBeLessThan(30)
    expect(rpc.maxInFlight()).toBeLessThanOrEqual(4)
  })
})
