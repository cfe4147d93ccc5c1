import { z } from 'zod'
import { ConfigError } from '../config/load.js'
import type { Config } from '../config/schema.js'
import type { Guard } from '../model/guard.js'
import { formatIssues, nearest } from '../model/zod.js'
import { policyFindingIssues } from './codes.js'
import type { ConfiguredGuard } from './run-guards.js'

/**
 * Validates each guard's options from the config against the guard's own schema, and the policy's
 * finding rules against the codes the guards declare, once at boot. Unknown guard ids and codes
 * are errors: a typo must not silently leave a guard at its defaults or a rule that never acts.
 */
export function configureGuards(
  registry: readonly Guard[],
  config: Pick<Config, 'guards' | 'policy' | 'safes' | 'governors' | 'timelocks'> &
    Partial<Pick<Config, 'protocols'>>,
  source = 'config',
  /** Finding codes raised outside the guards that the policy acts on (the protocol checks'). */
  extraCodes: readonly string[] = [],
): ConfiguredGuard[] {
  const settings = config.guards
  const issues: string[] = []
  const known = new Set(registry.map((g) => g.meta.id))
  for (const id of Object.keys(settings)) {
    if (known.has(id)) continue
    const near = nearest(id, [...known])
    issues.push(
      `guards.${id}: unknown guard (${near ? `did you mean "${near}"? ` : ''}known: ${[...known].join(', ')})`,
    )
  }
  const configured: ConfiguredGuard[] = []
  for (const guard of registry) {
    const { enabled = true, ...options } = settings[guard.meta.id] ?? {}
    // Strict, so a misspelt option is an error instead of a silently ignored key.
    const schema = guard.options instanceof z.ZodObject ? guard.options.strict() : guard.options
    const parsed = schema.safeParse(options)
    if (!parsed.success) {
      issues.push(...formatIssues(parsed.error, `guards.${guard.meta.id}`, schema))
      continue
    }
    if (enabled) configured.push({ guard, options: parsed.data })
  }
  issues.push(...policyFindingIssues(config, registry, extraCodes))
  if (issues.length) throw new ConfigError(source, issues)
  return configured
}
