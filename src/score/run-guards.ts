import type { Finding } from '../model/finding.js'
import type { Guard, GuardContext, GuardFinding } from '../model/guard.js'
import { isLevel, SEVERITIES } from '../model/severity.js'
import { sanitize } from '../model/text.js'

export type ConfiguredGuard = { guard: Guard; options: unknown }

export type RunOptions = { timeoutMs: number }

/**
 * Runs every guard on one proposal. A guard that throws, times out or returns something that is
 * not a list of findings becomes a `guard-error` finding (high): a check that did not run is
 * never read as a pass.
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
          return validate(found).map((f) => ({ guard: id, ...f, message: sanitize(f.message) }))
        } catch (cause) {
          const reason = cause instanceof Error ? cause.message : String(cause)
          return [
            {
              guard: id,
              code: 'guard-error',
              severity: 'high' as const,
              message: `guard ${id} failed: ${reason}`,
            },
          ]
        }
      }),
  )
  return results.flat()
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
