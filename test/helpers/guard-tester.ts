import { describe, expect, it } from 'vitest'
import type { Finding } from '../../src/model/finding.js'
import { GUARD_ERROR, type Guard } from '../../src/model/guard.js'
import { isLevel, levelRank } from '../../src/model/severity.js'

// One table test per guard, as eslint's RuleTester: valid cases raise nothing from the guard,
// invalid ones exactly the listed findings, every expected code is one the guard declares, and
// every code it declares is raised by some case (or listed as untested, with why).

/** What a case produces: a report through the real pipeline, or the findings of one guard run. */
export type Found = { findings: Finding[] } | Finding[]

export type ValidCase = {
  name: string
  /** Produces the report (or findings) as the pipeline does: inspectOffline, inspectWithSimulation, findings. */
  run: () => Promise<Found>
  /** More assertions on this guard's findings (messages, paths). */
  also?: (found: Finding[]) => void | Promise<void>
}

export type InvalidCase = ValidCase & {
  /** Exactly this guard's findings, as `code:severity`, in the order the report lists them. */
  expect: [string, ...string[]]
}

export type GuardTests = {
  valid: ValidCase[]
  invalid: InvalidCase[]
  /** Declared codes no case can raise offline, each with the reason: a visible gap, not a silent one. */
  untested?: Record<string, string>
}

const findingsOf = (found: Found, guard: string): Finding[] =>
  (Array.isArray(found) ? found : found.findings).filter((f) => f.guard === guard)

const show = (f: Finding) => `${f.code}:${f.severity}`

/** What is wrong with an expected `code:severity` for this guard, if anything. */
function undeclared(guard: Guard, expected: string): string | undefined {
  const [code = '', severity = ''] = expected.split(':')
  if (code === GUARD_ERROR) return undefined // the runner's own, for every guard
  if (!Object.hasOwn(guard.meta.codes, code)) return `${guard.meta.id} does not declare the code ${code}`
  const worst = guard.meta.codes[code]
  if (!isLevel(severity) || severity === 'none') return `${expected}: ${severity} is not a severity`
  if (worst && levelRank(severity) > levelRank(worst))
    return `${expected}: ${guard.meta.id} declares ${code} at worst ${worst}`
  return undefined
}

/** Registers the guard's table test (one vitest case per case, and the code coverage check). */
export function guardTester(guard: Guard, tests: GuardTests): void {
  const id = guard.meta.id
  // Both, as RuleTester: a guard that flags everything passes any table of invalid cases alone.
  if (!tests.valid.length || !tests.invalid.length)
    throw new Error(`guardTester(${id}): give at least one valid and one invalid case`)
  describe(id, () => {
    describe('valid', () => {
      for (const c of tests.valid) {
        it(c.name, async () => {
          const found = findingsOf(await c.run(), id)
          expect(found.map(show)).toEqual([])
          await c.also?.(found)
        })
      }
    })

    describe('invalid', () => {
      for (const c of tests.invalid) {
        it(c.name, async () => {
          expect(c.expect.map((e) => undeclared(guard, e)).filter(Boolean)).toEqual([])
          const found = findingsOf(await c.run(), id)
          expect(found.map(show)).toEqual(c.expect)
          await c.also?.(found)
        })
      }
    })

    it('has a case for every code it declares', () => {
      const raised = new Set(tests.invalid.flatMap((c) => c.expect.map((e) => e.split(':')[0])))
      const declared = Object.keys(guard.meta.codes)
      const untested = Object.keys(tests.untested ?? {})
      expect(
        declared.filter((code) => !raised.has(code) && !untested.includes(code)),
        'declared codes no invalid case raises (add a case, or list them in `untested` with why)',
      ).toEqual([])
      expect(
        untested.filter((code) => raised.has(code) || !declared.includes(code)),
        '`untested` codes that a case raises, or that the guard does not declare',
      ).toEqual([])
    })
  })
}

/**
 * A table whose rows each carry `expect` (`code:severity` list; empty for a valid case) and share
 * one way to run, as guardTester's valid and invalid cases.
 */
export function table<Row extends { name: string; expect: string[] }>(
  rows: Row[],
  run: (row: Row) => Promise<Found>,
): Pick<GuardTests, 'valid' | 'invalid'> {
  const valid: ValidCase[] = []
  const invalid: InvalidCase[] = []
  for (const row of rows) {
    const [first, ...rest] = row.expect
    if (first === undefined) valid.push({ name: row.name, run: () => run(row) })
    else invalid.push({ name: row.name, run: () => run(row), expect: [first, ...rest] })
  }
  return { valid, invalid }
}
