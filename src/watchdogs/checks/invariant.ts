import type { AbiFunction, Address } from 'viem'
import type { CheckProblem } from '../../model/check.js'
import { encodeConstantCall } from '../../model/constant-call.js'
import {
  type CompiledExpression,
  callValue,
  callVariable,
  compileExpression,
} from '../../model/expression.js'
import { type CheckOf, callOf, defineCheck, failureOf } from '../define.js'

// Any view calls whose results must satisfy a CEL expression: reserves against their target, an
// insurance fund against a floor, utilization, a backing ratio. The configuration was checked
// (parsed and type-checked) when it was loaded; what fails here is the chain's answer.

type Compiled = {
  calls: Array<{ name: string; to: Address; fn: AbiFunction; args: unknown[] }>
  expression: CompiledExpression
  measure?: CompiledExpression
}
const compiled = new WeakMap<object, Compiled>()

function compile(c: CheckOf<'invariant'>): Compiled {
  const found = compiled.get(c)
  if (found) return found
  const calls = Object.entries(c.calls).map(([name, call]) => {
    const { fn, args } = encodeConstantCall(call.function, call.args)
    return { name, to: call.to, fn, args }
  })
  const vars = calls.map((x) => callVariable(x.name, x.fn))
  const out: Compiled = {
    calls,
    expression: compileExpression(c.expression, vars, 'bool'),
    ...(c.measure ? { measure: compileExpression(c.measure, vars, 'number') } : {}),
  }
  compiled.set(c, out)
  return out
}

const show = (v: unknown) =>
  typeof v === 'number' ? v.toPrecision(6).replace(/\.?0+$/, '') : JSON.stringify(v)

export const invariant = defineCheck({
  kind: 'invariant',
  codes: ['violated', 'evaluation-error', 'unreadable'],
  reads: (c) => compile(c).calls.map((x) => callOf(x.name, x.to, x.fn, x.args)),
  evaluate(c, facts) {
    const { calls, expression, measure } = compile(c)
    const values: Record<string, unknown> = { now: Number(facts.timestamp), blockNumber: Number(facts.block) }
    const problems: CheckProblem[] = []
    for (const x of calls) {
      const r = facts.reads.get(x.name)
      if (r?.ok) values[x.name] = callValue(callVariable(x.name, x.fn), r.value)
      else
        problems.push({
          code: 'unreadable',
          key: `unreadable:${x.name}`,
          message: `${x.name} (${x.fn.name}) cannot be read: ${failureOf(facts.reads, x.name)}`,
        })
    }
    const shown = calls
      .filter((x) => x.name in values)
      .map((x) => `${x.name} ${show(values[x.name])}`)
      .join(', ')
    if (problems.length) return { ok: false, problems, summary: shown }
    let holds: unknown
    try {
      holds = expression.evaluate(values)
    } catch (error) {
      const message = `\`${c.expression}\` could not be evaluated: ${(error as Error).message.split('\n')[0]}`
      return {
        ok: false,
        problems: [{ code: 'evaluation-error', key: 'evaluation-error', message }],
        summary: shown,
      }
    }
    if (holds === true) return { ok: true, problems: [], summary: `${shown}: holds` }
    if (holds !== false)
      return {
        ok: false,
        problems: [
          {
            code: 'evaluation-error',
            key: 'evaluation-error',
            message: `\`${c.expression}\` gave ${show(holds)}, not true or false`,
          },
        ],
        summary: shown,
      }
    // The violation is raised whatever the measure does; a measure that fails is said in the
    // message (worseBy cannot re-raise without it), never dropped.
    const { m, note } = measured(c.measure, measure, values)
    return {
      ok: false,
      problems: [
        {
          code: 'violated',
          key: 'violated',
          message: `\`${c.expression}\` is false (${shown})${note}`,
          ...(m !== undefined ? { measure: m } : {}),
        },
      ],
      summary: `${shown}: violated`,
    }
  },
})

function measured(
  source: string | undefined,
  measure: CompiledExpression | undefined,
  values: Record<string, unknown>,
): { m?: number; note: string } {
  if (!measure || source === undefined) return { note: '' }
  let v: unknown
  try {
    v = measure.evaluate(values)
  } catch (error) {
    return {
      note: `; its measure \`${source}\` could not be evaluated: ${(error as Error).message.split('\n')[0]}`,
    }
  }
  const m = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined
  if (m === undefined || !Number.isFinite(m))
    return { note: `; its measure \`${source}\` gave ${show(v)}, not a number` }
  return { m, note: `; ${source} = ${show(m)}` }
}
