import type { Address } from 'viem'
import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import { formatAmount } from '../src/score/amounts.js'
import { inBook, label } from '../src/score/describe.js'
import { thresholdUnits, tokenThreshold } from '../src/score/thresholds.js'

const priced = tokenThreshold.extend({
  /** Price of one whole token in USD, to count it towards `totalMaxUsd`. */
  usdPrice: z.number().nonnegative().optional(),
})

export default defineGuard({
  meta: {
    id: 'asset-outflow',
    description:
      'Assets that actually leave the executor in the simulation: above per-token or total thresholds, or to a first-time recipient.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    maxSeverity: 'high',
  },
  options: z.object({
    thresholds: z.array(priced).default([]),
    /** The total USD value (of tokens with a `usdPrice`) one transaction may move out. */
    totalMaxUsd: z.number().positive().optional(),
    /** Raise `new-recipient` for recipients outside the address book, the Safe and its owners. */
    flagNewRecipients: z.boolean().default(true),
  }),
  check(ctx) {
    if (!ctx.simulation?.ok) return []
    const executor = ctx.proposal.executor
    const outflows = ctx.simulation.simulation.assetChanges.filter(
      (c) => c.from === executor && c.to !== executor,
    )
    const sums = new Map<string, { amount: bigint; decimals?: number | undefined; to: Set<Address> }>()
    for (const c of outflows) {
      if (c.standard !== 'native' && c.standard !== 'erc20') continue
      const key = c.token ?? 'native'
      const s = sums.get(key) ?? { amount: 0n, decimals: c.decimals, to: new Set<Address>() }
      s.amount += c.amount
      s.to.add(c.to)
      sums.set(key, s)
    }
    const out: GuardFinding[] = []
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
          message: `${formatAmount(s.amount, t.token as Address | 'native', ctx.tokens)} leaves the Safe (to ${[...s.to].map((a) => label(a, ctx)).join(', ')}), above the ${t.max} threshold`,
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
