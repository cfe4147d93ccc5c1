import type { AbiFunction, Address, Hex } from 'viem'
import type { CheckConfig } from '../config/protocols.js'
import type { CheckResult, ReadCall, ReadResult, RoundFacts } from '../model/check.js'
import { parseFunction } from '../model/constant-call.js'

// A check kind, as a guard is a plugin: what it reads, and what it concludes from what it read.
// Evaluating is pure: given the same facts, the same result, so each kind has a table test.

export type CheckOf<K extends CheckConfig['kind']> = Extract<CheckConfig, { kind: K }>

/** The pause a check tries or calls for, encoded (see `pauseOf`). */
export type PauseInfo = { name: string; target: Address; data: Hex; signature: string }

export type CheckKindDef<K extends CheckConfig['kind']> = {
  kind: K
  /** Every problem code it can report, as a guard declares its codes: `policy.findings` may name `<kind>/<code>`. */
  codes: readonly string[]
  /** The view calls it needs this round; keys are its own (the round namespaces them). */
  reads(check: CheckOf<K>): ReadCall[]
  /** Reads that depend on the first ones' answers (the bounds of the aggregator a proxy names). */
  followUp?(check: CheckOf<K>, first: ReadonlyMap<string, ReadResult>): ReadCall[]
  /** A call to simulate on the fork, from its sender (the pause path). */
  simulate?(
    check: CheckOf<K>,
    pause: PauseInfo | undefined,
  ): { from: Address; to: Address; data: Hex } | undefined
  /** Whether it needs the fees of the moment. */
  needsFees?: boolean
  evaluate(check: CheckOf<K>, facts: RoundFacts, pause: PauseInfo | undefined): CheckResult
}

export const defineCheck = <K extends CheckConfig['kind']>(def: CheckKindDef<K>) => def

/** A view's ABI from its config signature, with `returns` added when the config leaves it out. */
export function viewFunction(signature: string, returns: string): AbiFunction {
  const fn = parseFunction(signature)
  if (fn.outputs.length) return fn
  return parseFunction(`${signature.trim().replace(/^function\s+/, '')} view returns (${returns})`)
}

/** A ReadCall of a signature with its constant arguments. */
export const callOf = (
  key: string,
  to: Address,
  fn: AbiFunction,
  args: readonly unknown[] = [],
): ReadCall => ({
  key,
  to,
  abi: [fn],
  functionName: fn.name,
  args,
})

/** A read's value, or undefined when it failed. */
export const readValue = <T>(reads: ReadonlyMap<string, ReadResult>, key: string): T | undefined => {
  const r = reads.get(key)
  return r?.ok ? (r.value as T) : undefined
}

/** Why a read failed, for a problem's message. */
export const failureOf = (reads: ReadonlyMap<string, ReadResult>, key: string): string => {
  const r = reads.get(key)
  return r === undefined ? 'not read' : r.ok ? 'read' : r.error
}

export const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`
