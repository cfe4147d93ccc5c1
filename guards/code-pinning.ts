import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import { who } from '../src/score/governance-guards.js'

const same = (a: string | null, b: string | null) =>
  a === null || b === null ? a === b : a.toLowerCase() === b.toLowerCase()

export default defineGuard({
  meta: {
    id: 'code-pinning',
    description:
      "The code of a target or touched contract changed, vanished or appeared between the proposal's creation and now: voters approved other code (the Tornado Cash pattern).",
    appliesTo: ['governor', 'timelock'],
    needsSimulation: false,
    codes: {
      'code-changed': 'critical',
      'code-vanished': 'critical',
      'code-appeared': 'high',
      'code-not-pinned': 'medium',
    },
  },
  options: z.object({}),
  check(ctx) {
    const g = ctx.governance
    if (!g) return []
    const out: GuardFinding[] = []
    for (const pin of g.code) {
      const where = who(pin.address, ctx)
      const role = pin.target ? 'target' : 'contract the proposal touches'
      if (same(pin.atCreation, pin.now)) continue
      if (pin.atCreation !== null && pin.now === null) {
        out.push({
          code: 'code-vanished',
          severity: 'critical',
          message: `the code at ${where} (a ${role}) was destroyed after the proposal was created in block ${g.createdBlock}: anything, even different code, can be deployed there before execution`,
        })
      } else if (pin.atCreation === null) {
        out.push({
          code: 'code-appeared',
          severity: pin.target ? 'high' : 'medium',
          message: `${where} (a ${role}) had no code when the proposal was created in block ${g.createdBlock} and has code now (${pin.now}): voters saw an empty address, not this code`,
        })
      } else {
        out.push({
          code: 'code-changed',
          severity: 'critical',
          message: `the code at ${where} (a ${role}) changed since the proposal was created in block ${g.createdBlock} (code hash ${pin.atCreation}, now ${pin.now}): voters approved other code. The Tornado Cash pattern`,
        })
      }
    }
    // A target without a pin is one whose swap would go unnoticed: say so rather than pass it.
    const pinned = new Set(g.code.filter((p) => !p.unpinned).map((p) => p.address.toLowerCase()))
    const unpinned = [...new Set(ctx.proposal.calls.map((c) => c.to))].filter(
      (a) => !pinned.has(a.toLowerCase()),
    )
    for (const a of unpinned) {
      out.push({
        code: 'code-not-pinned',
        severity: 'medium',
        message: `custos has no code hash of the target ${who(a, ctx)} from the proposal's creation, so a change of its code would go unnoticed${g.problems.length ? ` (${g.problems.join('; ')})` : ''}`,
      })
    }
    return out
  },
})
