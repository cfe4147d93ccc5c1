import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'

export default defineGuard({
  meta: {
    id: 'nonce-competition',
    description:
      'Other transactions compete for the same Safe nonce: only one can execute, so signers must know which one they sign.',
    appliesTo: ['safe'],
    needsSimulation: false,
    codes: {
      'competing-transactions': 'medium',
    },
  },
  options: z.object({}),
  check(ctx) {
    const self = ctx.verification.hashes?.safeTxHash
    if (!self) return []
    const others = ctx.sameNonce.filter((o) => o.safeTxHash !== self)
    if (others.length === 0) return []
    const safe = ctx.proposal.executor
    // A rejection (empty call to the Safe itself) competing with a transaction is the normal way to cancel it.
    const isRejection = (o: { to: string; value: bigint; data: string; operation: number }) =>
      o.to === safe && o.value === 0n && o.data === '0x' && o.operation === 0
    const tx = ctx.proposal.calls[0]
    const selfIsRejection = tx ? isRejection({ ...tx, operation: tx.operation === 'call' ? 0 : 1 }) : false
    const onlyRejections = others.every(isRejection)
    const nonce = ctx.proposal.origin.kind === 'safe' ? ctx.proposal.origin.nonce : undefined
    return [
      {
        code: 'competing-transactions',
        severity: selfIsRejection || onlyRejections ? 'info' : 'medium',
        message: `${others.length} other transaction${others.length > 1 ? 's' : ''} also use${others.length > 1 ? '' : 's'} nonce ${nonce}: ${others
          .map((o) => `${o.safeTxHash}${isRejection(o) ? ' (rejection)' : ''}`)
          .join(', ')}; only one can execute`,
      },
    ]
  },
})
