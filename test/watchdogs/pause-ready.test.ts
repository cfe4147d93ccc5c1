import { describe, expect, it } from 'vitest'
import type { SimulatedCall } from '../../src/model/check.js'
import { pauseReady } from '../../src/watchdogs/checks/pause-ready.js'
import { A, B, codes, facts, parseCheck } from './helpers.js'

const check = parseCheck<'pause-ready'>({ kind: 'pause-ready', sender: A, pauses: 3 })
const pause = { name: 'pool', target: B, data: '0x8456cb59' as const, signature: 'pause()' }
const GWEI = 10n ** 9n
// 30,000 gas simulated: 59,000 with the margin, 3 pauses at 10 gwei = 1,770,000 gwei.
const works: SimulatedCall = { ok: true, gas: 30_000n }
const enough = 1_770_000n * GWEI

const cases: Array<{
  name: string
  sim?: SimulatedCall
  balance: unknown
  fee?: bigint
  expect: string[]
}> = [
  {
    name: 'the pause works and the sender can pay for 3',
    sim: works,
    balance: enough,
    fee: 10n * GWEI,
    expect: [],
  },
  {
    name: 'one wei short of 3 pauses',
    sim: works,
    balance: enough - 1n,
    fee: 10n * GWEI,
    expect: ['low-balance'],
  },
  {
    name: 'the pause reverts (the sender lost its role)',
    sim: { ok: false, gas: 0n, revertReason: 'AccessControlUnauthorizedAccount(…)' },
    balance: 10n ** 18n,
    fee: 10n * GWEI,
    expect: ['pause-reverts'],
  },
  {
    name: 'the simulation could not run: never "ready"',
    sim: { ok: false, gas: 0n, unavailable: 'cannot start a fork' },
    balance: 10n ** 18n,
    fee: 10n * GWEI,
    expect: ['simulation-unavailable'],
  },
  { name: 'no simulation at all', balance: 10n ** 18n, fee: 10n * GWEI, expect: ['simulation-unavailable'] },
  {
    name: 'the balance cannot be read',
    sim: works,
    balance: new Error('reverted'),
    fee: GWEI,
    expect: ['unreadable'],
  },
  { name: 'the fees cannot be read', sim: works, balance: enough, expect: ['unreadable'] },
]

describe('pause-ready', () => {
  it.each(cases)('$name', (c) => {
    const f = facts(
      { balance: c.balance },
      { ...(c.sim ? { simulation: c.sim } : {}), ...(c.fee !== undefined ? { maxFeePerGas: c.fee } : {}) },
    )
    expect(codes(pauseReady.evaluate(check, f, pause))).toEqual(c.expect)
  })

  it('simulates the configured pause from the sender, and reads the balance through Multicall3', () => {
    expect(pauseReady.simulate?.(check, pause)).toEqual({ from: A, to: B, data: '0x8456cb59' })
    expect(pauseReady.reads(check).map((r) => [r.functionName, r.args])).toEqual([['getEthBalance', [A]]])
  })

  it('is broken without a pause to try', () => {
    expect(codes(pauseReady.evaluate(check, facts({ balance: enough }), undefined))).toEqual(['no-pause'])
  })
})
