import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import { label } from '../src/score/describe.js'
import { who } from '../src/score/governance-guards.js'
import { scanOpcodes } from '../src/score/opcodes.js'

export default defineGuard({
  meta: {
    id: 'selfdestruct',
    description:
      "SELFDESTRUCT reached in the simulation, or (for governance) reachable in a target's code: code that can vanish, or be redeployed differently, as in the Tornado Cash takeover.",
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    // The governance code scan needs no simulation; without one, a Safe transaction gets no finding.
    needsSimulation: false,
    codes: {
      selfdestruct: 'critical',
      'selfdestruct-reachable': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    const reached = ctx.simulation?.ok
      ? ctx.simulation.simulation.codeChanges.filter((c) => c.kind === 'selfdestruct')
      : []
    const out: GuardFinding[] = reached.map((c) => ({
      code: 'selfdestruct',
      severity: 'critical' as const,
      message: `${label(c.address, ctx)} executes SELFDESTRUCT, sending its balance to ${c.beneficiary ? label(c.beneficiary, ctx) : 'an unknown account'}`,
    }))
    const seen = new Set(reached.map((c) => c.address.toLowerCase()))
    for (const pin of ctx.governance?.code ?? []) {
      if (!pin.target || !pin.code || seen.has(pin.address.toLowerCase())) continue
      const at = scanOpcodes(pin.code).selfdestruct
      if (!at.length) continue
      seen.add(pin.address.toLowerCase())
      out.push({
        code: 'selfdestruct-reachable',
        severity: 'high',
        message: `the target ${who(pin.address, ctx)} has a reachable SELFDESTRUCT in its code (byte 0x${(at[0] as number).toString(16)}): where SELFDESTRUCT still removes code (before Cancun, EIP-6780), it can be destroyed and other code deployed at the same address before the proposal executes`,
      })
    }
    return out
  },
})
