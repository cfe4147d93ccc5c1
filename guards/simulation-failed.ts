import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'

export default defineGuard({
  meta: {
    id: 'simulation-failed',
    description:
      'The simulated transaction reverts or fails (or its nonce is already used), with the decoded reason.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    codes: {
      'would-revert': 'medium',
      'stale-nonce': 'info',
    },
  },
  options: z.object({}),
  check(ctx) {
    if (!ctx.simulation?.ok) return []
    const sim = ctx.simulation.simulation
    const out: GuardFinding[] = []
    if (sim.nonce?.stale) {
      out.push({
        code: 'stale-nonce',
        severity: 'info',
        message: `nonce ${sim.nonce.tx} is already used (the Safe is at ${sim.nonce.onChain}): this transaction can never execute`,
      })
    }
    if (!sim.success) {
      const blocked = sim.guard?.blocked ? " (blocked by the Safe's transaction guard)" : ''
      out.push({
        code: 'would-revert',
        severity: 'medium',
        message: `the transaction would fail${blocked}: ${sim.revertReason ?? 'no reason given'}`,
      })
    }
    return out
  },
})
