import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'
import { label } from '../src/score/describe.js'

export default defineGuard({
  meta: {
    id: 'selfdestruct',
    description:
      'SELFDESTRUCT reached in the simulation (code that can vanish, or be redeployed differently, as in the Tornado Cash takeover).',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    maxSeverity: 'critical',
  },
  options: z.object({}),
  check(ctx) {
    if (!ctx.simulation?.ok) return []
    return ctx.simulation.simulation.codeChanges
      .filter((c) => c.kind === 'selfdestruct')
      .map((c) => ({
        code: 'selfdestruct',
        severity: 'critical' as const,
        message: `${label(c.address, ctx)} executes SELFDESTRUCT, sending its balance to ${c.beneficiary ? label(c.beneficiary, ctx) : 'an unknown account'}`,
      }))
  },
})
