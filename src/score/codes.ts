import type { Config } from '../config/schema.js'
import { GUARD_ERROR, type Guard } from '../model/guard.js'
import { editDistance } from '../model/zod.js'

/**
 * Findings raised outside the guards, by the watch itself, as `guard/code`. They are alerted as
 * they are, about a Safe rather than about a proposal: `policy.findings` never sees them, so a
 * rule naming one is refused at boot rather than accepted to do nothing.
 */
export const WATCH_FINDINGS = {
  /** pipeline/health.ts: a watched Safe's singleton, owners, modules, guard or fallback handler differ from `expected`. */
  drift: { guard: 'drift-watchdog', code: 'config-drift' },
} as const

/** Every `guard/code` a report can hold: each guard's declared codes and its `guard-error`. */
export function declaredCodes(registry: readonly Guard[]): string[] {
  return registry.flatMap((g) => [
    ...Object.keys(g.meta.codes).map((code) => `${g.meta.id}/${code}`),
    `${g.meta.id}/${GUARD_ERROR}`,
  ])
}

/**
 * Every `policy.findings` key (top level and each Safe's, governor's, timelock's and protocol's own) that
 * names no declared code, as path-qualified issues: a misspelt key would never match a finding,
 * and the veto it asks for would silently never happen.
 */
export function policyFindingIssues(
  config: Pick<Config, 'policy' | 'safes' | 'governors' | 'timelocks'> & Partial<Pick<Config, 'protocols'>>,
  registry: readonly Guard[],
  /** Codes raised outside the guards that the policy does act on (the protocol checks'). */
  extraCodes: readonly string[] = [],
): string[] {
  const known = [...declaredCodes(registry), ...extraCodes]
  const watch = new Set(Object.values(WATCH_FINDINGS).map((f) => `${f.guard}/${f.code}`))
  const rules: Array<[string, Record<string, unknown> | undefined]> = [
    ['policy', config.policy.findings],
    ...config.safes.map((s, i): [string, Record<string, unknown> | undefined] => [
      `safes[${i}].policy`,
      s.policy?.findings,
    ]),
    ...config.governors.map((g, i): [string, Record<string, unknown> | undefined] => [
      `governors[${i}].policy`,
      g.policy?.findings,
    ]),
    ...config.timelocks.map((t, i): [string, Record<string, unknown> | undefined] => [
      `timelocks[${i}].policy`,
      t.policy?.findings,
    ]),
    ...(config.protocols ?? []).map((p, i): [string, Record<string, unknown> | undefined] => [
      `protocols[${i}].policy`,
      p.policy?.findings,
    ]),
  ]
  const issues: string[] = []
  for (const [where, findings] of rules) {
    for (const key of Object.keys(findings ?? {})) {
      if (known.includes(key)) continue
      const path = `${where}.findings.${key}`
      if (watch.has(key)) {
        issues.push(
          `${path}: ${key} is raised by the watch about a Safe, not about a proposal: the policy never acts on it (it is always alerted)`,
        )
        continue
      }
      const near = closest(key, known)
      issues.push(
        `${path}: no guard declares this finding${near ? ` (did you mean ${near}?)` : ''}; \`custos guards\` lists every code`,
      )
    }
  }
  return issues
}

/** The candidate nearest to `word` by edit distance, if it is near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate)
    if (!best || distance < best.distance) best = { candidate, distance }
  }
  // A right guard with a wrong code, or a slip of a few letters; beyond that it is a guess.
  const [guard] = word.split('/')
  const sameGuard = best?.candidate.startsWith(`${guard}/`) ?? false
  return best && (sameGuard || best.distance <= Math.max(2, Math.floor(word.length / 4)))
    ? best.candidate
    : undefined
}
