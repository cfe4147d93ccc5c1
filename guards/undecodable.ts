import { z } from 'zod'
import { flattenCalls } from '../src/model/calls.js'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import { label } from '../src/score/describe.js'

export default defineGuard({
  meta: {
    id: 'undecodable',
    description:
      'Calldata custos cannot decode from the bytes alone (unknown function, malformed, oversized, too deep) or that hides extra bytes.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: false,
    codes: {
      undecodable: 'high',
      'non-canonical-encoding': 'high',
      'zero-target': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    const out: GuardFinding[] = []
    for (const c of flattenCalls(ctx.verification.call)) {
      const kind = c.operation === 1 ? 'DELEGATECALL' : 'call'
      if (c.decodeError) {
        // A claimed signature that encodes to these bytes changes nothing: selectors collide.
        const claimed = c.claimedFunction
          ? `; a source claims it is ${c.claimedFunction.signature}, which custos cannot verify (a 4-byte selector is not a proof)`
          : ''
        out.push({
          code: 'undecodable',
          severity: c.operation === 1 ? 'high' : 'medium',
          path: c.path,
          message: `${kind} to ${label(c.to, ctx)}: ${c.decodeError}${claimed}`,
        })
      }
      if (c.redirected) {
        out.push({
          code: 'zero-target',
          severity: 'high',
          path: c.path,
          message: `${kind} ${c.redirected}: a call that shows no target`,
        })
      }
      if (c.decodeWarning) {
        out.push({
          code: 'non-canonical-encoding',
          severity: c.operation === 1 ? 'high' : 'medium',
          path: c.path,
          message: `${kind} to ${label(c.to, ctx)} decodes as ${c.function?.signature} but ${c.decodeWarning}`,
        })
      }
    }
    return out
  },
})
