import { ACTIONS, type Action } from '../model/action.js'
import { type Level, levelRank } from '../model/severity.js'

export type Decision = { level: Level; actions: Action[]; reason?: string }
export type AlertPolicy = { minLevel: Level }

/** The configurable part of a decision (`policy` in the config, per Safe or governor). */
export type PolicyRules = {
  /** Veto at or above this level (none by default: custos vetoes only where told to). */
  vetoAt?: Level | undefined
  /** Actions by finding (`guard/code`), whatever the level: e.g. `safe-state-change/singleton-changed: veto`. */
  findings?: Record<string, Action> | undefined
  /** This many signers acknowledging a proposal marks it reviewed: it is notified, not chased or vetoed. */
  reviewedBy?: number | undefined
}

export type DecideContext = {
  /** A signer silenced the Safe from chat (until when, ms). */
  silencedUntil?: number
  /** The escalation ladder that applies to this Safe. */
  escalation?: { enabled: boolean; minLevel: Level }
  rules?: PolicyRules
  /** The report's findings, for the rules by finding. */
  findings?: Array<{ guard: string; code: string }>
  /** How many signers acknowledged the proposal (reviewed marks). */
  reviewers?: number
  /** The kill switch: without it, a veto becomes an escalation (and says so). */
  vetoEnabled?: boolean
  /** The veto is a protocol's pause, and this setting is what switched it off (for the message). */
  pauseSwitch?: string
}

const rank = (a: Action) => ACTIONS.indexOf(a)
const upTo = (a: Action): Action[] => ACTIONS.slice(0, rank(a) + 1)

/**
 * What to do with a report: always log it; alert at or above the policy's level; start the
 * escalation ladder at or above its level; veto where the rules say so (by level or by
 * finding). A silence mutes alerts below critical but never a veto; a proposal enough signers
 * reviewed is only notified; with vetoes switched off a veto is escalated instead. Pure.
 */
export function decide(level: Level, policy: AlertPolicy, context: DecideContext = {}): Decision {
  const at = (min: Level) => levelRank(level) >= levelRank(min)
  const reasons: string[] = []
  let top = 'log' as Action
  const raise = (a: Action) => {
    if (rank(a) > rank(top)) top = a
  }
  if (at(policy.minLevel)) {
    const esc = context.escalation
    raise(esc?.enabled && at(esc.minLevel) ? 'escalate' : 'notify')
  }
  const rules = context.rules ?? {}
  for (const f of context.findings ?? []) {
    const wanted = rules.findings?.[`${f.guard}/${f.code}`]
    if (wanted && rank(wanted) > rank(top)) {
      raise(wanted)
      reasons.push(`${f.guard}/${f.code} calls for ${wanted}`)
    }
  }
  if (rules.vetoAt && at(rules.vetoAt) && top !== 'veto') {
    raise('veto')
    reasons.push(`${level} is at or above the veto level ${rules.vetoAt}`)
  }
  if (rules.reviewedBy && (context.reviewers ?? 0) >= rules.reviewedBy && rank(top) > rank('notify')) {
    top = 'notify'
    reasons.push(`reviewed by ${context.reviewers} signers`)
  }
  if (top === 'veto' && !context.vetoEnabled) {
    top = 'escalate'
    reasons.push(
      context.pauseSwitch
        ? `pauses are switched off (${context.pauseSwitch}): escalated instead`
        : 'vetoes are switched off (veto.enabled): escalated instead',
    )
  }
  // A silence mutes the chasing of what is not critical; a veto the rules ask for still happens.
  if (context.silencedUntil !== undefined && level !== 'critical' && top !== 'veto' && top !== 'log') {
    return {
      level,
      actions: ['log'],
      reason: `silenced until ${new Date(context.silencedUntil).toISOString()}`,
    }
  }
  return { level, actions: upTo(top), ...(reasons.length ? { reason: reasons.join('; ') } : {}) }
}
