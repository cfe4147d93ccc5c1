import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'
import { label } from '../src/score/describe.js'

export default defineGuard({
  meta: {
    id: 'proxy-upgrade',
    description:
      'An EIP-1967 implementation, admin or beacon slot changes (or an Upgraded event) on any contract the transaction touches.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    codes: {
      'proxy-upgraded': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    if (!ctx.simulation?.ok) return []
    return ctx.simulation.simulation.proxyUpgrades.map((u) => ({
      code: 'proxy-upgraded',
      severity: 'high' as const,
      message: `the ${u.kind} of proxy ${label(u.proxy, ctx)} changes${u.before ? ` from ${label(u.before, ctx)}` : ''} to ${u.after ? label(u.after, ctx) : 'none'} (${u.source === 'storage' ? 'EIP-1967 slot' : 'event'})`,
    }))
  },
})
