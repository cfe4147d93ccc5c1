import type { Address } from 'viem'
import { z } from 'zod'
import { flattenCalls } from '../src/model/calls.js'
import { defineGuard, type GuardContext } from '../src/model/guard.js'
import { formatAmount } from '../src/score/amounts.js'
import { label } from '../src/score/describe.js'
import { type TokenThreshold, thresholdUnits, tokenThreshold } from '../src/score/thresholds.js'

type Ctx = GuardContext<{ thresholds: TokenThreshold[] }>
type Outflow = { token: Address | 'native'; amount: bigint; to: Set<Address>; paths: string[] }

/** What the executor itself sends: native value and ERC20 transfers of its own tokens. */
function outflows(ctx: Ctx): Map<string, Outflow> {
  const executor = ctx.proposal.executor
  const sums = new Map<string, Outflow>()
  const add = (token: Address | 'native', amount: bigint, to: Address, path: string) => {
    const o = sums.get(token) ?? { token, amount: 0n, to: new Set<Address>(), paths: [] }
    o.amount += amount
    o.to.add(to)
    o.paths.push(path)
    sums.set(token, o)
  }
  for (const c of flattenCalls(ctx.verification.call)) {
    if (c.from !== executor) continue
    if (c.value > 0n) add('native', c.value, c.to, c.path)
    const sig = c.function?.signature
    // By position: a config ABI may name the parameters differently (OpenZeppelin 5 says `value`).
    if (sig === 'transfer(address,uint256)') {
      add(c.to, c.function?.args[1]?.value as bigint, c.function?.args[0]?.value as Address, c.path)
    }
    if (sig === 'transferFrom(address,address,uint256)' && c.function?.args[0]?.value === executor) {
      add(c.to, c.function.args[2]?.value as bigint, c.function.args[1]?.value as Address, c.path)
    }
  }
  return sums
}

export default defineGuard({
  meta: {
    id: 'large-transfer',
    description:
      'The executor sends more of a token (summed over the whole transaction) than its configured threshold.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: false,
    codes: {
      'large-transfer': 'high',
    },
  },
  options: z.object({ thresholds: z.array(tokenThreshold).default([]) }),
  check(ctx) {
    const sums = outflows(ctx)
    return ctx.options.thresholds.flatMap((t) => {
      const flow = sums.get(t.token)
      if (!flow) return []
      if (flow.amount <= thresholdUnits(t, ctx.tokens)) return []
      const recipients = [...flow.to].map((a) => label(a, ctx)).join(', ')
      return [
        {
          code: 'large-transfer',
          severity: 'high' as const,
          path: flow.paths[0] ?? '0',
          message: `sends ${formatAmount(flow.amount, flow.token, ctx.tokens)} to ${recipients}, above the ${t.max} threshold`,
        },
      ]
    })
  },
})
