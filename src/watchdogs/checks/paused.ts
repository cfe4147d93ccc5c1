import type { CheckProblem } from '../../model/check.js'
import { callOf, defineCheck, failureOf, readValue, short, viewFunction } from '../define.js'

// Which contracts must be paused, or must not be: read from their views (`paused()`, Comet's
// `isSupplyPaused()`…). A view that cannot be read is a problem too, never "as expected".

export const paused = defineCheck({
  kind: 'paused',
  codes: ['paused', 'not-paused', 'unreadable'],
  reads: (c) => c.contracts.map((x, i) => callOf(`c${i}`, x.address, viewFunction(x.function, 'bool'))),
  evaluate(c, facts) {
    const problems: CheckProblem[] = []
    const states: string[] = []
    c.contracts.forEach((x, i) => {
      const name = x.name ?? short(x.address)
      const fn = viewFunction(x.function, 'bool').name
      const value = readValue<unknown>(facts.reads, `c${i}`)
      if (typeof value !== 'boolean') {
        problems.push({
          code: 'unreadable',
          key: `unreadable:${x.address}:${fn}`,
          message: `${name}.${fn}() cannot be read: ${typeof value === 'undefined' ? failureOf(facts.reads, `c${i}`) : `it returned ${String(value)}`}`,
        })
        return
      }
      states.push(`${name} ${value ? 'paused' : 'running'}`)
      if (value !== x.expect)
        problems.push({
          code: value ? 'paused' : 'not-paused',
          key: `${value ? 'paused' : 'not-paused'}:${x.address}:${fn}`,
          message: `${name}.${fn}() is ${value}, expected ${x.expect}`,
        })
    })
    return { ok: problems.length === 0, problems, summary: states.join(', ') || 'nothing read' }
  },
})
