import type { Finding } from '../model/finding.js'
import { GUARD_ERROR, type Guard, type GuardContext, type GuardFinding } from '../model/guard.js'
import { isLevel, levelRank, maxLevel, SEVERITIES, type Severity } from '../model/severity.js'
import { sanitize } from '../model/text.js'

export type ConfiguredGuard = { guard: Guard; options: unknown }

export type RunOptions = { timeoutMs: number }

/**
 * Runs every guard on one proposal. A guard that throws, times out or returns something that is
 * not a list of findings becomes a `guard-error` finding (high): a check that did not run is
 * never read as a pass. A finding whose code the guard did not declare, or worse than the
 * severity it declared for that code, becomes a `guard-error` too (at least high, never below what
 * was raised): the declaration is what the docs and `policy.findings` trust.
 */
export async function runGuards(
  guards: ConfiguredGuard[],
  ctx: Omit<GuardContext<unknown>, 'options'>,
  { timeoutMs }: RunOptions,
): Promise<Finding[]> {
  const kind = ctx.proposal.origin.kind
  const results = await Promise.all(
    guards
      // A protocol check's episode has no calls to guard: its findings are the check's own.
      .filter(({ guard }) => kind !== 'check' && guard.meta.appliesTo.includes(kind))
      // Simulation guards run only when a simulation was asked for; a failed one is judged by them.
      .filter(({ guard }) => !guard.meta.needsSimulation || ctx.simulation !== undefined)
      .map(async ({ guard, options }) => {
        const id = guard.meta.id
        try {
          const found = await withTimeout(
            Promise.resolve().then(() => guard.check({ ...ctx, options })),
            timeoutMs,
          )
          return validate(found).map((f) => held(guard, { guard: id, ...f, message: sanitize(f.message) }))
        } catch (cause) {
          const reason = cause instanceof Error ? cause.message : String(cause)
          return [
            {
              guard: id,
              code: GUARD_ERROR,
              severity: 'high' as const,
              message: `guard ${id} failed: ${reason}`,
            },
          ]
        }
      }),
  )
  return results.flat()
}

/** The finding if the guard declared its code at this severity or worse; a guard-error otherwise. */
function held(guard: Guard, f: Finding): Finding {
  const id = guard.meta.id
  const atLeastHigh = maxLevel(f.severity, 'high') as Severity
  if (f.code === GUARD_ERROR) return { ...f, severity: atLeastHigh }
  // Own keys only: `constructor` or `toString` is no declared code.
  const declared = Object.hasOwn(guard.meta.codes, f.code) ? guard.meta.codes[f.code] : undefined
  if (declared !== undefined && levelRank(f.severity) <= levelRank(declared)) return f
  const why =
    declared === undefined
      ? `raised the undeclared code ${f.code}`
      : `raised ${f.code} at ${f.severity}, above the ${declared} it declares for it`
  return { ...f, code: GUARD_ERROR, severity: atLeastHigh, message: `guard ${id} ${why}: ${f.message}` }
}

function validate(found: unknown): GuardFinding[] {
  if (!Array.isArray(found)) throw new Error('returned something other than a list of findings')
  for (const f of found) {
    const ok =
      typeof f === 'object' &&
      f !== null &&
      typeof f.code === 'string' &&
      typeof f.message === 'string' &&
      isLevel(f.severity) &&
      (SEVERITIES as readonly string[]).includes(f.severity)
    if (!ok) throw new Error(`returned a malformed finding: ${JSON.stringify(f)?.slice(0, 200)}`)
  }
  return found as GuardFinding[]
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
