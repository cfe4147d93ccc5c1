import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'
import { summarizeSimulation } from '../src/score/simulation-summary.js'

export default defineGuard({
  meta: {
    id: 'simulation-drift',
    description:
      'The proposal does something else now than when custos first simulated it: it fails where it succeeded (or the reverse), or moves other assets.',
    appliesTo: ['governor', 'timelock'],
    needsSimulation: true,
    codes: {
      'now-fails': 'high',
      'now-succeeds': 'high',
      'assets-changed': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    const first = ctx.governance?.firstSimulation
    if (!first || !ctx.simulation?.ok) return []
    const now = summarizeSimulation(ctx.simulation.simulation, '')
    const since = `since it was first simulated (${first.checkedAt})`
    const out = []
    if (first.success !== now.success)
      out.push({
        code: now.success ? 'now-succeeds' : 'now-fails',
        severity: 'high' as const,
        message: `the proposal ${now.success ? 'now executes' : 'now reverts'}, ${since} it ${first.success ? 'executed' : 'reverted'}: the chain around it changed`,
      })
    const before = new Set(first.assetChanges)
    const after = new Set(now.assetChanges)
    const gone = first.assetChanges.filter((c) => !after.has(c))
    const added = now.assetChanges.filter((c) => !before.has(c))
    if (gone.length || added.length)
      out.push({
        code: 'assets-changed',
        severity: 'high' as const,
        message: `the assets it moves changed ${since}: ${[...added.map((c) => `now ${c}`), ...gone.map((c) => `no longer ${c}`)].slice(0, 6).join('; ')} (token:from:to:amount)`,
      })
    return out
  },
})
