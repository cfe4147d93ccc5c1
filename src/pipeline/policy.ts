import type { EscalationPolicy } from '../config/chat.js'
import type { Config } from '../config/schema.js'
import type { Action } from '../model/action.js'
import type { Finding } from '../model/finding.js'
import type { Level } from '../model/severity.js'
import type { Target } from '../model/target.js'
import { type Decision, decide, type PolicyRules } from '../policy/decide.js'
import type { WatchContext } from './context.js'

/** The rules for a target: its own over the top-level ones (finding rules merged). */
export function rulesFor(config: Config, target: Target | undefined): PolicyRules {
  const own = target?.policy
  return {
    vetoAt: own?.vetoAt ?? config.policy.vetoAt,
    findings: { ...config.policy.findings, ...(own?.findings ?? {}) },
    reviewedBy: own?.reviewedBy ?? config.policy.reviewedBy,
  }
}

/** The ladder for a target: its own settings over the top-level ones. */
export function ladderFor(config: Config, target: Target | undefined): EscalationPolicy {
  const own = target?.escalation
  return {
    ...config.escalation,
    ...Object.fromEntries(Object.entries(own ?? {}).filter(([, v]) => v !== undefined)),
  }
}

/** The decision for a report about a target's proposal, with everything the policy weighs. */
export async function decideFor(
  ctx: Pick<WatchContext, 'config' | 'store'>,
  report: { level: Level; findings: Finding[] },
  where: {
    target: Target | undefined
    proposalId: string
    silencedUntil?: number | undefined
    /** An action the source asks for each of the report's findings (a check's `action: pause`). */
    wants?: Action
    /** The veto here is a protocol's pause: it needs `veto.pauses.enabled` too. */
    pause?: boolean
  },
): Promise<Decision> {
  const reviewers = new Set((await ctx.store.acksFor(where.proposalId)).map((a) => a.signer.toLowerCase()))
    .size
  const rules = rulesFor(ctx.config, where.target)
  const { wants } = where
  if (wants)
    rules.findings = {
      ...rules.findings,
      ...Object.fromEntries(report.findings.map((f) => [`${f.guard}/${f.code}`, wants])),
    }
  return decide(report.level, ctx.config.alerts, {
    ...(where.silencedUntil !== undefined ? { silencedUntil: where.silencedUntil } : {}),
    escalation: ladderFor(ctx.config, where.target),
    rules,
    findings: report.findings,
    reviewers,
    ...(where.pause
      ? {
          vetoEnabled: ctx.config.veto.enabled && ctx.config.veto.pauses.enabled,
          pauseSwitch: ctx.config.veto.enabled ? 'veto.pauses.enabled' : 'veto.enabled',
        }
      : { vetoEnabled: ctx.config.veto.enabled }),
  })
}
