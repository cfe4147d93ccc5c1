import type { Config } from '../config/schema.js'
import type { Finding } from '../model/finding.js'
import type { Level } from '../model/severity.js'
import { type Decision, decide, type PolicyRules } from '../policy/decide.js'
import { type WatchContext, watchedEntry } from './context.js'
import { ladderFor } from './escalation.js'

/** The rules for a Safe or governor: its own over the top-level ones (finding rules merged). */
export function rulesFor(config: Config, chainId: number, address: string): PolicyRules {
  const own = watchedEntry(config, chainId, address)?.policy
  return {
    vetoAt: own?.vetoAt ?? config.policy.vetoAt,
    findings: { ...config.policy.findings, ...(own?.findings ?? {}) },
    reviewedBy: own?.reviewedBy ?? config.policy.reviewedBy,
  }
}

/** The decision for a report about a Safe or governor, with everything the policy weighs. */
export async function decideFor(
  ctx: Pick<WatchContext, 'config' | 'store'>,
  report: { level: Level; findings: Finding[] },
  where: { chainId: number; address: string; proposalId: string; silencedUntil?: number | undefined },
): Promise<Decision> {
  const reviewers = new Set((await ctx.store.acksFor(where.proposalId)).map((a) => a.signer.toLowerCase()))
    .size
  return decide(report.level, ctx.config.alerts, {
    ...(where.silencedUntil !== undefined ? { silencedUntil: where.silencedUntil } : {}),
    escalation: ladderFor(ctx.config, where.chainId, where.address),
    rules: rulesFor(ctx.config, where.chainId, where.address),
    findings: report.findings,
    reviewers,
    vetoEnabled: ctx.config.veto.enabled,
  })
}
