import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'

export default defineGuard({
  meta: {
    id: 'simulation-unavailable',
    description:
      'A simulation was asked for but could not run or timed out: a simulation that did not happen is never read as safe.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    codes: {
      'simulation-unavailable': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    if (!ctx.simulation || ctx.simulation.ok) return []
    return [
      {
        code: 'simulation-unavailable',
        severity: 'high',
        message: `the transaction could not be simulated, so its effects are unknown: ${ctx.simulation.error}`,
      },
    ]
  },
})
