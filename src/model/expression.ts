import { Environment } from '@marcbachmann/cel-js'
import { type AbiFunction, type AbiParameter, getAddress } from 'viem'
import { InputError } from './errors.js'

// Invariants are CEL expressions (https://cel.dev, evaluated by @marcbachmann/cel-js) over the
// results of view calls: a standard, side-effect-free language with a type checker, so that
// `config check` rejects an expression that cannot work before custos ever runs it.
//
// Every integer result is a CEL `double`: token amounts (uint256) do not fit CEL's 64-bit ints.
// Write `reserves >= 1e24` and `reserves * 100.0 / target >= 95.0` (CEL does not mix int and
// double in arithmetic, but compares them). Addresses and bytes are hex strings, bools bools.

/** Names every invariant may use besides its calls: the block it was read at. */
export const BLOCK_VARIABLES = { now: 'the block timestamp (s)', blockNumber: 'the block number' } as const

const LIMITS = {
  maxAstNodes: 2000,
  maxDepth: 50,
  maxListElements: 100,
  maxMapEntries: 100,
  maxCallArguments: 16,
}

/** The CEL type of an ABI value, or undefined for what invariants cannot take (tuples). */
export function celType(abiType: string): string | undefined {
  const array = /^(.*)\[\d*\]$/.exec(abiType)
  if (array) {
    const inner = celType(array[1] ?? '')
    return inner ? `list<${inner}>` : undefined
  }
  if (/^u?int\d*$/.test(abiType)) return 'double'
  if (abiType === 'bool') return 'bool'
  if (abiType === 'address' || abiType === 'string' || /^bytes\d*$/.test(abiType)) return 'string'
  return undefined
}

/** A decoded ABI value as CEL sees it (see celType). */
export function celValue(abiType: string, value: unknown): unknown {
  const array = /^(.*)\[\d*\]$/.exec(abiType)
  if (array && Array.isArray(value)) return value.map((v) => celValue(array[1] ?? '', v))
  if (typeof value === 'bigint') return Number(value)
  if (abiType === 'address' && typeof value === 'string') return getAddress(value)
  return value
}

/** A call's result as one CEL variable: the value itself, or an object of its named outputs. */
export type CallVariable = { name: string; outputs: readonly AbiParameter[] }

const outputName = (o: AbiParameter, i: number) => o.name || `value${i}`

/** The declaration of a call's variable, or why its outputs cannot be one. */
function declare(v: CallVariable): { type: string } | { schema: Record<string, string> } {
  if (v.outputs.length === 0)
    throw new InputError(`${v.name}: the function returns nothing (add \`returns (…)\`)`)
  const typeOf = (o: AbiParameter) => {
    const t = celType(o.type)
    if (!t) throw new InputError(`${v.name}: an invariant cannot take a ${o.type} result`)
    return t
  }
  const [only] = v.outputs
  if (v.outputs.length === 1 && only) return { type: typeOf(only) }
  return { schema: Object.fromEntries(v.outputs.map((o, i) => [outputName(o, i), typeOf(o)])) }
}

/** The variables of a call's decoded result (viem gives one value, or an array for several). */
export function callValue(v: CallVariable, decoded: unknown): unknown {
  const [only] = v.outputs
  if (v.outputs.length === 1 && only) return celValue(only.type, decoded)
  const list = Array.isArray(decoded) ? decoded : []
  return Object.fromEntries(v.outputs.map((o, i) => [outputName(o, i), celValue(o.type, list[i])]))
}

export type CompiledExpression = {
  source: string
  /** The CEL type the checker found (`bool`, `double`…). */
  type: string
  evaluate(values: Record<string, unknown>): unknown
}

/**
 * Parses and type-checks `source` over the calls' variables (and `now`, `blockNumber`); `want`
 * is the type it must have. Throws InputError with the checker's message and position.
 */
export function compileExpression(
  source: string,
  calls: readonly CallVariable[],
  want: 'bool' | 'number',
): CompiledExpression {
  const env = new Environment({ limits: LIMITS })
  for (const name of Object.keys(BLOCK_VARIABLES)) env.registerVariable(name, 'double')
  for (const c of calls) {
    if (c.name in BLOCK_VARIABLES)
      throw new InputError(`${c.name}: the name is taken by the block's ${c.name}`)
    const d = declare(c)
    if ('type' in d) env.registerVariable(c.name, d.type)
    else env.registerVariable({ name: c.name, schema: d.schema })
  }
  let checked: { valid: boolean; type?: string; error?: Error }
  try {
    checked = env.check(source) as typeof checked
  } catch (cause) {
    throw new InputError(firstLines(cause), { cause })
  }
  if (!checked.valid) throw new InputError(firstLines(checked.error))
  const type = String(checked.type)
  const ok =
    want === 'bool' ? type === 'bool' || type === 'dyn' : ['double', 'int', 'uint', 'dyn'].includes(type)
  if (!ok) throw new InputError(`the expression is a ${type}, not a ${want === 'bool' ? 'bool' : 'number'}`)
  const run = env.parse(source)
  return { source, type, evaluate: (values) => run(values) }
}

/** The checker's message with the line that shows where (cel-js puts a caret under it). */
const firstLines = (error: unknown) =>
  (error instanceof Error ? error.message : String(error))
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, 3)
    .join(' ')

/** The CEL variable of each call, from its function signature. */
export const callVariable = (name: string, fn: AbiFunction): CallVariable => ({ name, outputs: fn.outputs })
