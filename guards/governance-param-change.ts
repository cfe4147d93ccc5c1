import {
  type AbiFunction,
  type Address,
  decodeFunctionData,
  type Hex,
  keccak256,
  parseAbi,
  toBytes,
  toFunctionSelector,
  zeroAddress,
  zeroHash,
} from 'viem'
import { z } from 'zod'
import type { DecodedCall } from '../src/model/decoded.js'
import type { GovernanceFacts, GovernanceParams } from '../src/model/governance.js'
import { defineGuard, type GuardContext, type GuardFinding } from '../src/model/guard.js'
import type { Severity } from '../src/model/severity.js'
import { inBook } from '../src/score/describe.js'
import { proposalCalls, sameAddress as same, who } from '../src/score/governance-guards.js'

const options = z.object({
  /** A timelock delay below this many seconds is critical (voters and the guardian get too little time). */
  minTimelockDelaySeconds: z.number().int().nonnegative().default(86_400),
  /** A voting period below this (in the governor's clock units) is critical. */
  minVotingPeriod: z.number().int().nonnegative().default(1),
  /** A quorum numerator below this is critical. */
  minQuorumNumerator: z.number().int().nonnegative().default(1),
})
type Ctx = GuardContext<z.output<typeof options>>

// The setters of OpenZeppelin Governor (4.x and 5.x) and TimelockController, GovernorBravo and the
// Compound Timelock, decoded here from the raw bytes whatever ABIs the config carries.
const SETTERS = parseAbi([
  'function setVotingDelay(uint48)',
  'function setVotingDelay(uint256)',
  'function setVotingPeriod(uint32)',
  'function setVotingPeriod(uint256)',
  'function setProposalThreshold(uint256)',
  'function updateQuorumNumerator(uint256)',
  'function updateTimelock(address)',
  'function setProposalGuardian(address)',
  'function updateDelay(uint256)',
  'function _setVotingDelay(uint256)',
  'function _setVotingPeriod(uint256)',
  'function _setProposalThreshold(uint256)',
  'function _setGuardian(address)',
  'function _setWhitelistGuardian(address)',
  'function _setProposalGuardian((address,uint96))',
  'function setDelay(uint256)',
  'function _setPendingAdmin(address)',
  'function setPendingAdmin(address)',
  'function grantRole(bytes32,address)',
  'function revokeRole(bytes32,address)',
  'function renounceRole(bytes32,address)',
])
const BY_SELECTOR = new Map<Hex, AbiFunction>(SETTERS.map((f) => [toFunctionSelector(f), f]))

type NumberParam =
  | 'votingDelay'
  | 'votingPeriod'
  | 'proposalThreshold'
  | 'quorumNumerator'
  | 'timelockMinDelay'
const NUMBERS: Record<string, NumberParam> = {
  setVotingDelay: 'votingDelay',
  _setVotingDelay: 'votingDelay',
  setVotingPeriod: 'votingPeriod',
  _setVotingPeriod: 'votingPeriod',
  setProposalThreshold: 'proposalThreshold',
  _setProposalThreshold: 'proposalThreshold',
  updateQuorumNumerator: 'quorumNumerator',
  updateDelay: 'timelockMinDelay',
  setDelay: 'timelockMinDelay',
}
const CODE: Record<NumberParam, string> = {
  votingDelay: 'voting-delay',
  votingPeriod: 'voting-period',
  proposalThreshold: 'proposal-threshold',
  quorumNumerator: 'quorum',
  timelockMinDelay: 'timelock-delay',
}
const NAME: Record<NumberParam, string> = {
  votingDelay: 'voting delay',
  votingPeriod: 'voting period',
  proposalThreshold: 'proposal threshold',
  quorumNumerator: 'quorum numerator',
  timelockMinDelay: 'timelock delay',
}

/** What a parameter at zero means. */
const ZERO: Record<NumberParam, string> = {
  votingDelay: 'a proposal goes to a vote at once, before anyone can review it',
  votingPeriod: 'nobody has time to vote',
  proposalThreshold: 'anyone can make proposals',
  quorumNumerator: 'a proposal passes with any single vote',
  timelockMinDelay: 'passed proposals execute at once, with no time to react or cancel',
}

const role = (name: string) => keccak256(toBytes(name))
const ROLES: Record<Hex, { name: string; power: string }> = {
  [role('PROPOSER_ROLE')]: { name: 'PROPOSER_ROLE', power: 'can schedule operations without a vote' },
  [role('EXECUTOR_ROLE')]: { name: 'EXECUTOR_ROLE', power: 'can execute ready operations' },
  [role('CANCELLER_ROLE')]: { name: 'CANCELLER_ROLE', power: 'can cancel pending operations' },
  [role('TIMELOCK_ADMIN_ROLE')]: { name: 'TIMELOCK_ADMIN_ROLE', power: 'can grant every timelock role' },
  [zeroHash]: { name: 'DEFAULT_ADMIN_ROLE', power: 'can grant every timelock role' },
}

/** The time a duration gives people, e.g. `172800 s (2 days)`. */
function seconds(s: bigint): string {
  const unit = (n: bigint, word: string) => `${s} s (${n} ${word}${n === 1n ? '' : 's'})`
  if (s > 0n && s % 86_400n === 0n) return unit(s / 86_400n, 'day')
  if (s > 0n && s % 3600n === 0n) return unit(s / 3600n, 'hour')
  if (s > 0n && s % 60n === 0n) return unit(s / 60n, 'minute')
  return `${s} s`
}

type Setter = { call: DecodedCall; fn: string; args: readonly unknown[] }

/** Each call (the synthetic root aside) whose raw bytes decode as one of the setters. */
function setters(ctx: Ctx): Setter[] {
  const out: Setter[] = []
  for (const call of proposalCalls(ctx)) {
    const item = BY_SELECTOR.get(call.data.slice(0, 10).toLowerCase() as Hex)
    if (!item) continue
    try {
      const { args } = decodeFunctionData({ abi: [item], data: call.data })
      out.push({ call, fn: item.name, args: args ?? [] })
    } catch {
      // Malformed arguments: the undecodable guard reports them.
    }
  }
  return out
}

function judgeNumber(
  ctx: Ctx,
  g: GovernanceFacts,
  s: Setter,
  param: NumberParam,
  current: Map<string, bigint>,
) {
  // viem decodes uint48 and smaller (setVotingDelay, setVotingPeriod) as numbers.
  const after = BigInt(s.args[0] as bigint | number)
  const owner = param === 'timelockMinDelay' ? (g.timelock ?? g.executor) : g.governor
  const ours = owner === undefined || same(s.call.to, owner)
  // setDelay and updateDelay are common names: on another contract, it may not be a timelock at all.
  if (param === 'timelockMinDelay' && !ours)
    return {
      code: 'timelock-delay-changed',
      severity: 'medium' as Severity,
      path: s.call.path,
      message: `sets the delay of ${who(s.call.to, ctx)} to ${seconds(after)}; if it is a timelock, check that this leaves time to react`,
    }
  const key = `${s.call.to.toLowerCase()}:${param}`
  const before =
    current.get(key) ?? (ours ? (g.params[param as keyof GovernanceParams] as bigint | undefined) : undefined)
  current.set(key, after)
  if (before === after) return undefined
  const show = (v: bigint) => (param === 'timelockMinDelay' ? seconds(v) : `${v}`)
  const o = ctx.options
  const floor = {
    votingDelay: 0n,
    votingPeriod: BigInt(o.minVotingPeriod),
    quorumNumerator: BigInt(o.minQuorumNumerator),
    timelockMinDelay: BigInt(o.minTimelockDelaySeconds),
    proposalThreshold: 0n,
  }[param]
  const direction = before === undefined ? 'changed' : after < before ? 'lowered' : 'raised'
  let severity: Severity = direction === 'changed' ? 'medium' : direction === 'lowered' ? 'high' : 'low'
  let why = ''
  if (param === 'proposalThreshold') {
    severity = after === 0n ? 'high' : 'medium'
    if (after === 0n) why = `: ${ZERO[param]}`
  } else if (after === 0n || after < floor) {
    severity = 'critical'
    why = after === 0n ? `: ${ZERO[param]}` : ` (below the floor of ${show(floor)})`
  } else if (param === 'quorumNumerator' && after > (g.params.quorumDenominator ?? 100n)) {
    severity = 'high'
    why = `: above the denominator ${g.params.quorumDenominator ?? 100n}, no proposal can reach quorum`
  }
  const from = before === undefined ? '' : ` from ${show(before)}`
  const unread = before === undefined ? '; its current value could not be read' : ''
  return {
    code: `${CODE[param]}-${direction}`,
    severity,
    path: s.call.path,
    message: `${direction === 'changed' ? 'sets' : direction === 'lowered' ? 'lowers' : 'raises'} the ${NAME[param]} of ${who(s.call.to, ctx)}${from} to ${show(after)}${why}${unread}`,
  }
}

function judgeAddress(ctx: Ctx, g: GovernanceFacts, s: Setter, current: Map<string, Address>) {
  const where = who(s.call.to, ctx)
  const ours = g.governor === undefined || same(s.call.to, g.governor)
  if (s.fn === '_setPendingAdmin' || s.fn === 'setPendingAdmin') {
    const to = s.args[0] as Address
    return {
      code: 'pending-admin-set',
      severity: 'critical' as Severity,
      path: s.call.path,
      message: `makes ${who(to, ctx)} the pending admin of ${where}: it can accept and then control everything ${where} controls`,
    }
  }
  const isTimelock = s.fn === 'updateTimelock'
  const whitelist = s.fn === '_setWhitelistGuardian'
  const after = (
    s.fn === '_setProposalGuardian' ? (s.args[0] as readonly [Address])[0] : s.args[0]
  ) as Address
  const key = `${s.call.to.toLowerCase()}:${s.fn}`
  const known = isTimelock
    ? (g.params.timelock ?? g.timelock)
    : whitelist
      ? undefined
      : g.params.proposalGuardian
  const before = current.get(key) ?? (ours ? known : undefined)
  current.set(key, after)
  if (before !== undefined && same(after, before)) return undefined
  const from = before === undefined ? '' : ` from ${who(before, ctx)}`
  const unread =
    before === undefined ? ` (the current ${isTimelock ? 'timelock' : 'guardian'} could not be read)` : ''
  const what = isTimelock ? 'timelock' : whitelist ? 'whitelist guardian' : 'proposal guardian'
  if (isTimelock)
    return {
      code: 'timelock-replaced',
      severity: 'critical' as Severity,
      path: s.call.path,
      message: `replaces the timelock of ${where}${from} with ${who(after, ctx)}${unread}: the new one runs every future proposal, with its own delay and roles`,
    }
  const removed = after === zeroAddress
  return {
    code: removed ? 'guardian-removed' : 'guardian-changed',
    severity: (removed ? 'critical' : 'high') as Severity,
    path: s.call.path,
    message: removed
      ? `removes the ${what} of ${where}${from}${unread}: nobody can cancel a malicious proposal any more`
      : `changes the ${what} of ${where}${from} to ${who(after, ctx)}${unread}, who decides which proposals are cancelled`,
  }
}

function judgeRole(ctx: Ctx, g: GovernanceFacts, s: Setter): GuardFinding | undefined {
  const [hash, account] = s.args as [Hex, Address]
  const r = ROLES[hash.toLowerCase() as Hex]
  const onTimelock = same(s.call.to, g.timelock ?? g.executor)
  // DEFAULT_ADMIN_ROLE exists on every AccessControl contract; the timelock's own role names do not.
  if (!r || (hash === zeroHash && !onTimelock)) return undefined
  const where = who(s.call.to, ctx)
  const holder = who(account, ctx)
  if (s.fn === 'grantRole') {
    const trusted = [g.governor, g.timelock, g.executor].some((a) => same(account, a)) || inBook(account, ctx)
    const strong = r.name === 'PROPOSER_ROLE' || r.name.endsWith('ADMIN_ROLE')
    return {
      code: 'timelock-role-granted',
      severity: strong && !trusted ? 'critical' : 'high',
      path: s.call.path,
      message: `grants ${r.name} on ${where} to ${holder}, who then ${r.power}${trusted ? '' : ' (not the governor, the timelock or in the address book)'}`,
    }
  }
  const cutOff = r.name === 'PROPOSER_ROLE' && same(account, g.governor)
  return {
    code: 'timelock-role-revoked',
    severity: cutOff ? 'critical' : 'high',
    path: s.call.path,
    message: cutOff
      ? `revokes PROPOSER_ROLE on ${where} from ${holder}: votes can no longer schedule anything`
      : `${s.fn === 'renounceRole' ? 'renounces' : 'revokes'} ${r.name} on ${where} from ${holder}, which can then no longer ${r.power.replace(/^can /, '')}`,
  }
}

export default defineGuard({
  meta: {
    id: 'governance-param-change',
    description:
      'A proposal that changes its own governance: voting delay or period, quorum, proposal threshold, timelock delay lowered, guardian changed or removed, timelock replaced, pending admin set, timelock roles granted or revoked.',
    appliesTo: ['governor', 'timelock'],
    needsSimulation: false,
    // Numbers raise `<param>-changed|lowered|raised`: critical at zero or below a configured floor
    // (which a raise can still be under); a voting delay has no floor and a raise never reaches
    // zero; the proposal threshold is high at zero, else medium.
    codes: {
      'voting-delay-changed': 'critical',
      'voting-delay-lowered': 'critical',
      'voting-delay-raised': 'low',
      'voting-period-changed': 'critical',
      'voting-period-lowered': 'critical',
      'voting-period-raised': 'critical',
      'proposal-threshold-changed': 'high',
      'proposal-threshold-lowered': 'high',
      'proposal-threshold-raised': 'medium',
      'quorum-changed': 'critical',
      'quorum-lowered': 'critical',
      'quorum-raised': 'critical',
      'timelock-delay-changed': 'critical',
      'timelock-delay-lowered': 'critical',
      'timelock-delay-raised': 'critical',
      'pending-admin-set': 'critical',
      'timelock-replaced': 'critical',
      'guardian-removed': 'critical',
      'guardian-changed': 'high',
      'timelock-role-granted': 'critical',
      'timelock-role-revoked': 'critical',
    },
  },
  options,
  check(ctx) {
    const g = ctx.governance
    if (!g) return []
    const numbers = new Map<string, bigint>()
    const addresses = new Map<string, Address>()
    const out: GuardFinding[] = []
    for (const s of setters(ctx)) {
      const param = NUMBERS[s.fn]
      const found = param
        ? judgeNumber(ctx, g, s, param, numbers)
        : s.fn.endsWith('Role')
          ? judgeRole(ctx, g, s)
          : judgeAddress(ctx, g, s, addresses)
      if (found) out.push(found)
    }
    return out
  },
})
