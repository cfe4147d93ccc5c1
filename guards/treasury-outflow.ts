import type { Address } from 'viem'
import { z } from 'zod'
import { defineGuard, type GuardContext, type GuardFinding } from '../src/model/guard.js'
import { SEVERITIES, type Severity } from '../src/model/severity.js'
import { formatAmount } from '../src/score/amounts.js'
import { inBook } from '../src/score/describe.js'
import { proposalCalls, sameAddress as same, who } from '../src/score/governance-guards.js'
import { percentBps, shareBps, shareOptions, shareSeverity, showBps } from '../src/score/share.js'
import { thresholdUnits, tokenThreshold } from '../src/score/thresholds.js'

const options = z.object({
  ...shareOptions,
  /** How many drained tokens (at the critical share) make the treasury emptied. */
  drainTokens: z.number().int().min(1).default(2),
  /** Per-token limits in whole tokens; above one, the outflow is at least high. */
  thresholds: z.array(tokenThreshold).default([]),
})
type Ctx = GuardContext<z.output<typeof options>>
type Token = Address | 'native'
type Flow = { token: Token; amount: bigint; to: Address[]; path?: string }

/** What the simulation shows leaving the executor, per token (an NFT counts one per token id). */
function simulatedFlows(ctx: Ctx): Flow[] {
  if (!ctx.simulation?.ok) return []
  const executor = ctx.proposal.executor
  const flows = new Map<string, Flow>()
  for (const c of ctx.simulation.simulation.assetChanges) {
    if (!same(c.from, executor) || same(c.to, executor)) continue
    add(flows, c.token ?? 'native', c.standard === 'erc721' ? 1n : c.amount, c.to)
  }
  return [...flows.values()]
}

/** Without a simulation: native value and ERC20 transfers the executor itself sends, from the calldata. */
function calldataFlows(ctx: Ctx): Flow[] {
  const executor = ctx.proposal.executor
  const flows = new Map<string, Flow>()
  for (const c of proposalCalls(ctx)) {
    if (!same(c.from, executor)) continue
    const args = c.function?.args ?? []
    if (c.value > 0n) add(flows, 'native', c.value, c.to, c.path)
    const sig = c.function?.signature
    if (sig === 'transfer(address,uint256)')
      add(flows, c.to, args[1]?.value as bigint, args[0]?.value as Address, c.path)
    if (sig === 'transferFrom(address,address,uint256)' && same(args[0]?.value as string, executor))
      add(flows, c.to, args[2]?.value as bigint, args[1]?.value as Address, c.path)
  }
  return [...flows.values()]
}

function add(flows: Map<string, Flow>, token: Token, amount: bigint, to: Address, path?: string) {
  if (typeof amount !== 'bigint' || amount <= 0n) return
  const key = token.toLowerCase()
  const flow = flows.get(key) ?? { token, amount: 0n, to: [], ...(path ? { path } : {}) }
  flow.amount += amount
  if (!flow.to.some((a) => same(a, to))) flow.to.push(to)
  flows.set(key, flow)
}

/** Basis points of the outflow in the treasury's balance before; `unknown` or `none` when there is no share. */
function share(ctx: Ctx, flow: Flow): { bps: bigint; balance: bigint } | 'unknown' | 'none' {
  const held = ctx.governance?.treasury.find((t) => same(t.token, flow.token))
  if (!held) return 'unknown'
  if (held.balance <= 0n) return 'none'
  return { bps: shareBps(flow.amount, held.balance), balance: held.balance }
}
const bpsOf = (ctx: Ctx, flow: Flow) => {
  const s = share(ctx, flow)
  return typeof s === 'string' ? 0n : s.bps
}

const bps = percentBps
const max = (a: Severity | undefined, b: Severity): Severity =>
  a === undefined || SEVERITIES.indexOf(b) > SEVERITIES.indexOf(a) ? b : a
const raise = (s: Severity | undefined): Severity =>
  s === undefined ? 'low' : (SEVERITIES[Math.min(SEVERITIES.indexOf(s) + 1, SEVERITIES.length - 1)] ?? s)

/** Recipients neither in the address book nor (when the list is known) among past recipients. */
function firstTime(ctx: Ctx, to: Address[]): Address[] {
  const g = ctx.governance
  const past = g?.pastRecipients
  const ours = [ctx.proposal.executor, g?.governor, g?.timelock]
  return to.filter((a) => !inBook(a, ctx) && !ours.some((o) => same(a, o)) && !past?.some((p) => same(a, p)))
}

function judge(ctx: Ctx, flow: Flow, source: string): GuardFinding | undefined {
  const o = ctx.options
  const amount = formatAmount(flow.amount, flow.token, ctx.tokens)
  const s = share(ctx, flow)
  let severity: Severity | undefined
  const why: string[] = []
  if (s === 'unknown') {
    severity = 'medium'
    why.push("the treasury's balance before could not be read, so its share is unknown")
  } else if (s === 'none') {
    // Nothing of it was in the treasury: the proposal passes on what it brings in first.
    severity = 'medium'
    why.push('the treasury held none before: it passes on what the proposal brings in')
  } else {
    const held = formatAmount(s.balance, flow.token, ctx.tokens)
    severity = shareSeverity(s.bps, o)
    why.push(`${showBps(s.bps)} of the ${held} the treasury held`)
  }
  const limit = o.thresholds.find((t) => same(t.token, flow.token))
  if (limit && flow.amount > thresholdUnits(limit, ctx.tokens)) {
    severity = max(severity, 'high')
    why.push(`above the ${limit.max} threshold`)
  }
  const fresh = firstTime(ctx, flow.to)
  if (fresh.length) severity = raise(severity)
  if (severity === undefined) return undefined
  const known = ctx.governance?.pastRecipients !== undefined
  const recipients = flow.to.map((a) => who(a, ctx)).join(', ')
  const freshText = fresh.length
    ? `; first-time recipient: ${fresh.map((a) => who(a, ctx)).join(', ')} (${known ? 'never paid by the treasury before and ' : ''}not in the address book${known ? '' : '; past recipients could not be read'})`
    : ''
  return {
    code: fresh.length ? 'first-time-recipient' : 'treasury-outflow',
    severity,
    ...(flow.path ? { path: flow.path } : {}),
    message: `${amount} leaves the treasury ${ctx.proposal.executor} for ${recipients} (${why.join(', ')})${freshText}${source}`,
  }
}

export default defineGuard({
  meta: {
    id: 'treasury-outflow',
    description:
      "Assets leaving a DAO's treasury (the executor) by share of its holdings and per-token thresholds; two or more tokens drained empties it; a first-time recipient raises it (Compound proposal 289).",
    appliesTo: ['governor', 'timelock'],
    needsSimulation: false,
    codes: {
      'treasury-drain': 'critical',
      'treasury-outflow': 'critical',
      'first-time-recipient': 'critical',
    },
  },
  options,
  check(ctx) {
    const simulated = ctx.simulation?.ok === true
    const source = simulated
      ? ''
      : ctx.simulation
        ? ' (amounts from calldata: the simulation failed)'
        : ' (amounts from calldata: not simulated)'
    const flows = simulated ? simulatedFlows(ctx) : calldataFlows(ctx)
    const out = flows.flatMap((f) => judge(ctx, f, source) ?? [])
    const drained = flows.filter((f) => bpsOf(ctx, f) >= bps(ctx.options.criticalSharePercent))
    if (drained.length >= ctx.options.drainTokens) {
      out.unshift({
        code: 'treasury-drain',
        severity: 'critical',
        message: `the treasury is emptied: at least ${ctx.options.criticalSharePercent}% of each of ${drained.map((f) => (f.token === 'native' ? 'ETH' : who(f.token, ctx))).join(', ')} leaves ${ctx.proposal.executor}${source}`,
      })
    }
    return out
  },
})
