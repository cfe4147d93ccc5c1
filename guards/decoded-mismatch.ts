import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import type { ClaimCheck } from '../src/model/verification.js'

// What a UI shows the signers is the claim: one custos cannot check is as dangerous as one it
// proves false, since the bytes may pay someone else. An `unconfirmed` claim (it encodes to bytes
// custos cannot decode) adds nothing: the call keeps its `undecodable` finding, which names it.
const FINDING: Record<Exclude<ClaimCheck['status'], 'match' | 'unconfirmed'>, [string, string]> = {
  mismatch: ['decoded-mismatch', 'the claimed decoding is false'],
  malformed: ['claim-malformed', 'the claimed decoding is malformed'],
  unverifiable: ['claim-unverifiable', 'the claimed decoding could not be checked against the bytes'],
}

export default defineGuard({
  meta: {
    id: 'decoded-mismatch',
    description:
      "A source's decoding of the calldata (the transaction service's dataDecoded) that the raw bytes do not bear out, or that custos cannot check.",
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: false,
    codes: {
      'decoded-mismatch': 'high',
      'claim-malformed': 'high',
      'claim-unverifiable': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    const out: GuardFinding[] = []
    for (const c of ctx.verification.claims) {
      if (c.status === 'match' || c.status === 'unconfirmed') continue
      const [code, what] = FINDING[c.status]
      out.push({ code, severity: 'high', path: c.path, message: `${what}: ${c.detail}` })
    }
    return out
  },
})
