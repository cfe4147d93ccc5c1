import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'

export default defineGuard({
  meta: {
    id: 'decoded-mismatch',
    description:
      "A source's decoding of the calldata (the transaction service's dataDecoded) that the raw bytes do not bear out.",
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: false,
    maxSeverity: 'high',
  },
  options: z.object({}),
  check(ctx) {
    return ctx.verification.claims
      .filter((c) => c.status !== 'match')
      .map((c) => ({
        code:
          c.status === 'mismatch'
            ? 'decoded-mismatch'
            : c.status === 'malformed'
              ? 'claim-malformed'
              : 'claim-unverifiable',
        severity: c.status === 'unverifiable' ? ('low' as const) : ('high' as const),
        path: c.path,
        message:
          c.status === 'mismatch'
            ? `the claimed decoding is false: ${c.detail}`
            : c.status === 'malformed'
              ? `the claimed decoding is malformed: ${c.detail}`
              : `the claimed decoding could not be checked: ${c.detail}`,
      }))
  },
})
