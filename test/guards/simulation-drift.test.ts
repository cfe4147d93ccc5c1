import { describe, expect, it } from 'vitest'
import guard from '../../guards/simulation-drift.js'
import type { SimulationSummary } from '../../src/model/governance.js'
import type { AssetChange } from '../../src/model/simulation.js'
import { summarizeSimulation, summaryFromReportJson } from '../../src/score/simulation-summary.js'
import { ATTACKER, findings, type GovernanceCase, GRANTEE, TIMELOCK, USDC } from '../helpers/governance.js'
import { guardTester, table } from '../helpers/guard-tester.js'

// A proposal is simulated when it is created and again until it executes: what it does at
// execution is what matters, and a change in between (a target's code, a price, a balance) is
// news even when each run alone looks fine.

const pay = (to: `0x${string}`, amount: bigint): AssetChange => ({
  standard: 'erc20',
  token: USDC,
  from: TIMELOCK,
  to,
  amount,
  symbol: 'USDC',
  decimals: 6,
})
const first = (assetChanges: AssetChange[], success = true): SimulationSummary => ({
  checkedAt: '2026-11-20T10:00:00.000Z',
  success,
  assetChanges: summarizeSimulation({ success, assetChanges } as never, '').assetChanges,
})
const D = (code: string) => `${code}:high`

const cases: Array<GovernanceCase<object> & { name: string; expect: string[] }> = [
  {
    name: 'the same grant as when first simulated',
    simulation: { assetChanges: [pay(GRANTEE, 50_000_000000n)] },
    facts: { firstSimulation: first([pay(GRANTEE, 50_000_000000n)]) },
    expect: [],
  },
  {
    name: 'the grant now goes to someone else',
    simulation: { assetChanges: [pay(ATTACKER, 50_000_000000n)] },
    facts: { firstSimulation: first([pay(GRANTEE, 50_000_000000n)]) },
    expect: [D('assets-changed')],
  },
  {
    name: 'it now moves more',
    simulation: { assetChanges: [pay(GRANTEE, 5_000_000_000000n)] },
    facts: { firstSimulation: first([pay(GRANTEE, 50_000_000000n)]) },
    expect: [D('assets-changed')],
  },
  {
    name: 'it reverted at first and now executes (and moves assets)',
    simulation: { assetChanges: [pay(GRANTEE, 1n)] },
    facts: { firstSimulation: first([], false) },
    expect: [D('now-succeeds'), D('assets-changed')],
  },
  {
    name: 'it executed at first and now reverts',
    simulation: { success: false, assetChanges: [] },
    facts: { firstSimulation: first([pay(GRANTEE, 1n)]) },
    expect: [D('now-fails'), D('assets-changed')],
  },
  {
    name: 'no first simulation to compare with',
    simulation: { assetChanges: [pay(ATTACKER, 1n)] },
    expect: [],
  },
  {
    name: 'no simulation now',
    simulation: { ok: false, error: 'RPC down' },
    facts: { firstSimulation: first([pay(GRANTEE, 1n)]) },
    expect: [],
  },
]

guardTester(
  guard,
  table(cases, (c) => findings(guard, c)),
)

describe('simulation-drift, beyond the table', () => {
  it('says what changed and since when', async () => {
    const [f] = await findings(guard, {
      simulation: { assetChanges: [pay(ATTACKER, 7n)] },
      facts: { firstSimulation: first([pay(GRANTEE, 7n)]) },
    })
    expect(f?.message).toContain('since it was first simulated (2026-11-20T10:00:00.000Z)')
    expect(f?.message).toContain(
      `now ${USDC.toLowerCase()}:${TIMELOCK.toLowerCase()}:${ATTACKER.toLowerCase()}:7`,
    )
  })

  it('reads the first simulation back from a stored report', () => {
    const json = {
      checkedAt: '2026-11-20T10:00:00.000Z',
      simulation: {
        available: true,
        success: true,
        assetChanges: [{ token: USDC, from: TIMELOCK, to: GRANTEE, amount: '7' }],
      },
    }
    expect(summaryFromReportJson(json)).toEqual(first([pay(GRANTEE, 7n)]))
    expect(summaryFromReportJson({ simulation: { available: false, error: 'x' } })).toBeUndefined()
  })
})
