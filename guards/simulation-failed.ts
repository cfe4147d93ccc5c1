import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'

export default defineGuard({
  meta: {
    id: 'simulation-failed',
    description:
      "The simulated transaction reverts or fails (or its nonce is already used), with the decoded reason; a transaction guard holding it is said too (the custos Guard's hold is info).",
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    codes: {
      'would-revert': 'medium',
      'stale-nonce': 'info',
      'held-by-guard': 'medium',
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
    // The guards judge what it does once let through (intentOf): a guard that held it shows here.
    const held = sim.guard?.blocked === true
    if (!sim.success) {
      out.push({
        code: 'would-revert',
        severity: 'medium',
        message: `the transaction would fail${held ? ", even with the Safe's transaction guard cleared" : ''}: ${sim.revertReason ?? 'no reason given'}`,
      })
    } else if (held) {
      // The custos Guard holds every transaction until it is approved or its delay has passed:
      // that is its job, not a fault. Another guard that blocks it means it cannot run as signed.
      const custos = sim.guard?.custos !== undefined
      out.push({
        code: 'held-by-guard',
        severity: custos ? 'info' : 'medium',
        message: custos
          ? 'the custos Guard holds it until it is approved, or scheduled and its delay has passed; what it does once let through is judged here'
          : "the Safe's transaction guard blocks it: it cannot run as signed (what it would do is judged here)",
      })
    }
    return out
  },
})
