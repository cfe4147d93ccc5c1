import { type Address, zeroAddress } from 'viem'
import { z } from 'zod'
import { defineGuard, type GuardContext, type GuardFinding } from '../src/model/guard.js'
import type { Simulation } from '../src/model/simulation.js'
import { formatAmount } from '../src/score/amounts.js'
import { inBook, label } from '../src/score/describe.js'
import { shareBps, shareOptions, shareSeverity, showBps } from '../src/score/share.js'
import { thresholdUnits, tokenThreshold } from '../src/score/thresholds.js'

const priced = tokenThreshold.extend({
  /** Price of one whole token in USD, to count it towards `totalMaxUsd`. */
  usdPrice: z.number().nonnegative().optional(),
})
const options = z.object({
  ...shareOptions,
  thresholds: z.array(priced).default([]),
  /** The total USD value (of tokens with a `usdPrice`) one transaction may move out. */
  totalMaxUsd: z.number().positive().optional(),
  /** Raise `new-recipient` for recipients outside the address book, the Safe and its owners. */
  flagNewRecipients: z.boolean().default(true),
})
type Ctx = GuardContext<z.output<typeof options>>
type Token = Address | 'native'
type Sum = { amount: bigint; decimals?: number | undefined; to: Set<Address> }

/**
 * Each coin and token's outflow against what the executor held before: a share, whatever the
 * configured thresholds say (a token nobody configured is judged too). A gas refund is an outflow
 * like any other: the simulation pays it, so it is in the sums.
 */
function byShare(ctx: Ctx, sim: Simulation, sums: Map<Token, Sum>): GuardFinding[] {
  if (!sim.balancesBefore) return [] // a simulation from before balances were read
  const executor = ctx.proposal.executor
  const out: GuardFinding[] = []
  for (const [token, s] of sums) {
    const amount = formatAmount(s.amount, token, ctx.tokens)
    const to = [...s.to].map((a) => label(a, ctx)).join(', ')
    const refund = refundNote(ctx, sim, token, s.to)
    const held = sim.balancesBefore.find((b) => b.holder === executor && b.token === token)
    if (!held) {
      out.push({
        code: 'outflow-share-unknown',
        severity: 'medium',
        message: `${amount} leaves the Safe (to ${to})${refund}; its balance before could not be read, so its share is unknown`,
      })
      continue
    }
    if (held.balance <= 0n) {
      out.push({
        code: 'outflow-share',
        severity: 'medium',
        message: `${amount} leaves the Safe (to ${to})${refund}; it held none before: it passes on what the transaction brings in`,
      })
      continue
    }
    const bps = shareBps(s.amount, held.balance)
    const severity = shareSeverity(bps, ctx.options)
    if (!severity) continue
    out.push({
      code: 'outflow-share',
      severity,
      message: `${amount} leaves the Safe (to ${to})${refund}: ${showBps(bps)} of the ${formatAmount(held.balance, token, ctx.tokens)} it held before`,
    })
  }
  return out
}

/** Says so when part of an outflow is the transaction's gas refund (it pays whoever is chosen). */
function refundNote(ctx: Ctx, sim: Simulation, token: Token, to: Set<Address>): string {
  const origin = ctx.proposal.origin
  if (origin.kind !== 'safe' || origin.tx.gasPrice === 0n) return ''
  const { gasToken, refundReceiver } = origin.tx
  const refundToken: Token = gasToken === zeroAddress ? 'native' : gasToken
  const receiver = refundReceiver === zeroAddress ? sim.from : refundReceiver
  return refundToken === token && to.has(receiver)
    ? `, including the gas refund to ${label(receiver, ctx)}`
    : ''
}

export default defineGuard({
  meta: {
    id: 'asset-outflow',
    description:
      'Assets that actually leave the executor in the simulation (gas refunds included): by their share of what it held before, above per-token or total thresholds, or to a first-time recipient.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    codes: {
      'outflow-share': 'critical',
      'outflow-share-unknown': 'medium',
      'outflow-above-threshold': 'high',
      'outflow-above-total': 'high',
      'new-recipient': 'medium',
    },
  },
  options,
  check(ctx) {
    if (!ctx.simulation?.ok) return []
    const sim = ctx.simulation.simulation
    const executor = ctx.proposal.executor
    const outflows = sim.assetChanges.filter((c) => c.from === executor && c.to !== executor)
    const sums = new Map<Token, Sum>()
    for (const c of outflows) {
      if (c.standard !== 'native' && c.standard !== 'erc20') continue
      const key = c.token ?? 'native'
      const s = sums.get(key) ?? { amount: 0n, decimals: c.decimals, to: new Set<Address>() }
      s.amount += c.amount
      s.to.add(c.to)
      sums.set(key, s)
    }
    const out: GuardFinding[] = byShare(ctx, sim, sums)
    let totalUsd = 0
    for (const t of ctx.options.thresholds) {
      const s = sums.get(t.token)
      if (!s) continue
      const max = thresholdUnits(t, ctx.tokens)
      const decimals =
        t.token === 'native'
          ? 18
          : (t.decimals ?? s.decimals ?? ctx.tokens.find((k) => k.address === t.token)?.decimals ?? 18)
      if (t.usdPrice !== undefined) totalUsd += (Number(s.amount) / 10 ** decimals) * t.usdPrice
      if (s.amount > max) {
        out.push({
          code: 'outflow-above-threshold',
          severity: 'high',
          message: `${formatAmount(s.amount, t.token as Token, ctx.tokens)} leaves the Safe (to ${[...s.to].map((a) => label(a, ctx)).join(', ')}), above the ${t.max} threshold`,
        })
      }
    }
    if (ctx.options.totalMaxUsd !== undefined && totalUsd > ctx.options.totalMaxUsd) {
      out.push({
        code: 'outflow-above-total',
        severity: 'high',
        message: `about $${Math.round(totalUsd).toLocaleString('en-US')} leaves the Safe in total, above $${ctx.options.totalMaxUsd.toLocaleString('en-US')}`,
      })
    }
    if (ctx.options.flagNewRecipients) {
      const owners = ctx.verification.safeState?.owners ?? []
      const fresh = [...new Set(outflows.map((c) => c.to))].filter(
        (a) => !inBook(a, ctx) && !owners.includes(a),
      )
      for (const a of fresh) {
        out.push({
          code: 'new-recipient',
          severity: 'medium',
          message: `assets go to ${label(a, ctx)}, which is not in the address book (a first-time recipient as far as custos knows)`,
        })
      }
    }
    return out
  },
})
