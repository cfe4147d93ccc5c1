import type { CheckConfig, ProtocolConfig } from '../config/protocols.js'
import { pauseOf } from '../config/protocols.js'
import type { CheckResult, ReadCall, ReadResult, RoundFacts, SimulatedCall } from '../model/check.js'
import { encodeConstantCall, signatureOf } from '../model/constant-call.js'
import type { PauseInfo } from './define.js'
import { checkKind } from './index.js'

// One evaluation round over a protocol's due checks: their reads, namespaced by check id so that
// they can all go into one batch, and each check's conclusion from its share of the answers. A
// check whose evaluation throws is broken (`check-error`), never passed: fail closed.

export type PlannedCheck = { check: CheckConfig; pause?: PauseInfo }

/** The checks with the pause each tries or calls for, encoded once. */
export function planChecks(
  protocol: Pick<ProtocolConfig, 'pauses'>,
  checks: readonly CheckConfig[],
): PlannedCheck[] {
  return checks.map((check) => {
    // The pause a check names, or the protocol's only one: sent on `action: pause`, tried by
    // `pause-ready`, and offered to signers as a button on the check's alerts.
    const p = pauseOf(protocol, check)
    if (!p) return { check }
    const { fn, data } = encodeConstantCall(p.function, p.args)
    return { check, pause: { name: p.name, target: p.target, data, signature: signatureOf(fn) } }
  })
}

const scoped = (id: string, reads: ReadCall[]) => reads.map((r) => ({ ...r, key: `${id}/${r.key}` }))

/** Each check's reads, keyed `<check id>/<key>`. */
export function firstReads(planned: readonly PlannedCheck[]): ReadCall[] {
  return planned.flatMap(({ check }) =>
    scoped(
      check.id,
      guard(() => checkKind(check.kind).reads(check as never), []),
    ),
  )
}

/** The reads that depend on the first answers. */
export function followUpReads(
  planned: readonly PlannedCheck[],
  results: ReadonlyMap<string, ReadResult>,
): ReadCall[] {
  return planned.flatMap(({ check }) => {
    const def = checkKind(check.kind)
    if (!def.followUp) return []
    const own = sliceOf(results, check.id)
    return scoped(
      check.id,
      guard(() => def.followUp?.(check as never, own) ?? [], []),
    )
  })
}

/** The simulations the checks want, by check id. */
export function simulations(planned: readonly PlannedCheck[]) {
  return planned.flatMap(({ check, pause }) => {
    const call = checkKind(check.kind).simulate?.(check as never, pause)
    return call ? [{ id: check.id, ...call }] : []
  })
}

export const needsFees = (planned: readonly PlannedCheck[]) =>
  planned.some(({ check }) => checkKind(check.kind).needsFees)

export type RoundAnswers = {
  block: bigint
  timestamp: bigint
  results: ReadonlyMap<string, ReadResult>
  simulated: ReadonlyMap<string, SimulatedCall>
  maxFeePerGas?: bigint
}

/** Every planned check's result, by check id. */
export function evaluateRound(
  planned: readonly PlannedCheck[],
  answers: RoundAnswers,
): Map<string, CheckResult> {
  const out = new Map<string, CheckResult>()
  for (const { check, pause } of planned) {
    const simulation = answers.simulated.get(check.id)
    const facts: RoundFacts = {
      block: answers.block,
      timestamp: answers.timestamp,
      reads: sliceOf(answers.results, check.id),
      ...(simulation ? { simulation } : {}),
      ...(answers.maxFeePerGas !== undefined ? { maxFeePerGas: answers.maxFeePerGas } : {}),
    }
    out.set(
      check.id,
      guard(
        () => checkKind(check.kind).evaluate(check as never, facts, pause),
        (error): CheckResult => ({
          ok: false,
          problems: [
            {
              code: 'check-error',
              key: 'check-error',
              message: `the check could not be evaluated: ${error}`,
            },
          ],
          summary: '',
        }),
      ),
    )
  }
  return out
}

function sliceOf(results: ReadonlyMap<string, ReadResult>, id: string): Map<string, ReadResult> {
  const prefix = `${id}/`
  const own = new Map<string, ReadResult>()
  for (const [k, v] of results) if (k.startsWith(prefix)) own.set(k.slice(prefix.length), v)
  return own
}

function guard<T>(fn: () => T, fallback: T | ((error: string) => T)): T {
  try {
    return fn()
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    return typeof fallback === 'function' ? (fallback as (e: string) => T)(text) : fallback
  }
}
