import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import { label } from '../src/score/describe.js'

export default defineGuard({
  meta: {
    id: 'signature-invalid',
    description:
      'A confirmation that is malformed, recovers to someone other than the claimed owner, or is not from a current owner for exactly this safeTxHash; more confirmations than the owners (plus a margin) are counted, not checked.',
    appliesTo: ['safe'],
    needsSimulation: false,
    codes: {
      'too-many-confirmations': 'high',
      malformed: 'high',
      'signer-mismatch': 'high',
      'not-an-owner': 'high',
      'contract-signature-invalid': 'high',
      'contract-signature-unverified': 'info',
      'approval-not-on-chain': 'low',
      'eth-sign': 'info',
      'duplicate-signer': 'medium',
      'owners-unknown': 'info',
    },
  },
  options: z.object({}),
  check(ctx) {
    const out: GuardFinding[] = []
    const { signatures, safeState, confirmationsUnchecked: excess } = ctx.verification
    const seen = new Map<string, number>()
    if (excess) {
      // A Safe counts one confirmation per owner: the rest is padding, or hides something.
      out.push({
        code: 'too-many-confirmations',
        severity: 'high',
        message: `${excess.received} confirmations for a Safe that counts at most one per owner: custos checked the first ${excess.checked}${safeState ? ` (its ${safeState.owners.length} owners plus a margin)` : ''} and not the other ${excess.received - excess.checked}`,
      })
    }
    for (const s of signatures) {
      const n = `confirmation ${s.index}`
      if (s.malformed) {
        out.push({ code: 'malformed', severity: 'high', message: `${n} is malformed: ${s.malformed}` })
        continue
      }
      if (!s.signer) continue
      const who = label(s.signer, ctx)
      if (s.claimedOwner && s.claimedOwner !== s.signer) {
        out.push({
          code: 'signer-mismatch',
          severity: 'high',
          message: `${n} was made by ${who}, not by the claimed owner ${s.claimedOwner}: it signs a different hash or the source lies about who signed`,
        })
      }
      if (s.isOwner === false) {
        out.push({
          code: 'not-an-owner',
          severity: 'high',
          message: `${n} comes from ${who}, who is not a current owner of the Safe`,
        })
      }
      if (s.kind === 'contract' && s.eip1271Valid === false) {
        out.push({
          code: 'contract-signature-invalid',
          severity: 'high',
          message: `${n}: contract ${who} rejects the signature (EIP-1271)`,
        })
      }
      if (s.kind === 'contract' && s.eip1271Valid === undefined) {
        out.push({
          code: 'contract-signature-unverified',
          severity: 'info',
          message: `${n}: contract signature by ${who} not checked (needs --rpc)`,
        })
      }
      if (s.kind === 'approved-hash' && s.approvedOnChain === false) {
        out.push({
          code: 'approval-not-on-chain',
          severity: 'low',
          message: `${n}: ${who} has not approved this hash on chain; it counts only if ${who} executes the transaction`,
        })
      }
      if (s.kind === 'eth_sign') {
        out.push({
          code: 'eth-sign',
          severity: 'info',
          message: `${n} by ${who} uses eth_sign (a blind signature over the hash)`,
        })
      }
      const first = seen.get(s.signer)
      if (first !== undefined) {
        out.push({
          code: 'duplicate-signer',
          severity: 'medium',
          message: `${n} repeats the signer of confirmation ${first} (${who}); it counts once`,
        })
      } else seen.set(s.signer, s.index)
    }
    if (signatures.length > 0 && !safeState) {
      out.push({
        code: 'owners-unknown',
        severity: 'info',
        message: 'signers were recovered but not checked against the current owners (run with --rpc)',
      })
    }
    return out
  },
})
