import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  checkGuardRules,
  contractsDir,
  HARNESSES,
  readGuardSources,
} from '../../../src/respond/guard/compile.js'

// solc's SMTChecker (CHC engine, assertion targets) on the guard's rule library through the harnesses in
// contracts/formal/. Minutes of solver time on two cores: it runs in CI (.ci/run sets CI=1) or with
// CUSTOS_CHECKS=1.
const checks = process.env.CI === '1' || process.env.CUSTOS_CHECKS === '1'

/** How many asserts each harness contract has: every one must be proved. */
function assertCounts(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const harness of HARNESSES) {
    const source = readFileSync(join(contractsDir(), harness.file), 'utf8')
    for (const name of harness.contracts) {
      const start = source.indexOf(`contract ${name} `)
      const next = source.indexOf('\ncontract ', start + 1)
      counts[name] = source.slice(start, next < 0 ? undefined : next).split('assert(').length - 1
    }
  }
  return counts
}

describe.skipIf(!checks)('formal checks of the guard rules (SMTChecker, CHC)', () => {
  it('proves every assert of every harness: the rules for all inputs, the record life cycle for all call sequences', async () => {
    const counts = assertCounts()
    const result = await checkGuardRules()
    for (const [name, asserts] of Object.entries(counts)) {
      expect(asserts, name).toBeGreaterThan(0)
      expect({ name, ...result.contracts[name] }).toEqual({ name, proved: asserts, unproved: [] })
    }
    console.log(
      `SMTChecker: ${Object.values(counts).reduce((a, b) => a + b, 0)} asserts proved in ${Math.round(result.seconds)} s`,
    )
  }, 1_800_000)

  it('finds the counterexample when a rule is broken (a cancelled transaction allowed to pass)', async () => {
    const rules = readGuardSources()['CustosGuardRules.sol']
    const broken = rules.replace('if (cancelled) return (false, false);', '')
    expect(broken).not.toBe(rules)
    const result = await checkGuardRules(broken, ['CancelledNeverPasses'])
    expect(result.contracts.CancelledNeverPasses?.proved).toBe(0)
    expect(result.contracts.CancelledNeverPasses?.unproved[0]).toMatch(
      /CHC: Assertion violation happens here/,
    )
  }, 600_000)
})
