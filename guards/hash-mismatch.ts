import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'

export default defineGuard({
  meta: {
    id: 'hash-mismatch',
    description: 'The safeTxHash a source claims is not the hash of the fields it sent.',
    appliesTo: ['safe'],
    needsSimulation: false,
    codes: {
      'hash-mismatch': 'critical',
    },
  },
  options: z.object({}),
  check(ctx) {
    const { claimedSafeTxHash, hashes } = ctx.verification
    if (!hashes || !claimedSafeTxHash || claimedSafeTxHash.toLowerCase() === hashes.safeTxHash.toLowerCase())
      return []
    return [
      {
        code: 'hash-mismatch',
        severity: 'critical',
        message: `the claimed safeTxHash ${claimedSafeTxHash} is not the hash of these fields (${hashes.safeTxHash}): what is shown is not what would be signed`,
      },
    ]
  },
})
