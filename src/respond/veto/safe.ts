import type { Address, Hash, Hex } from 'viem'
import type { SafeOrigin } from '../../model/proposal.js'
import type { SafeState } from '../../model/safe.js'
import type { VetoOutcome } from '../../model/veto.js'
import { type ExecutorDeps, noKey } from './common.js'
import { prepared, send } from './send.js'

// A Safe transaction is stopped by the canonical rejection at its nonce: executed by the guardian
// when it alone meets the threshold at the Safe's current nonce, proposed for the other owners
// to co-sign otherwise.

/** Proposes a signed Safe transaction to the transaction service (api-kit's adapter does). */
export type Proposer = {
  propose(input: {
    safe: Address
    tx: unknown
    safeTxHash: Hash
    sender: Address
    signature: Hex
  }): Promise<unknown>
}

export type SafeVetoDeps = ExecutorDeps & {
  /** The Safe's state now, from the chain. */
  readSafe(safe: Address): Promise<SafeState>
  proposer(): Promise<Proposer>
  /** No rejection is signed further than this past the Safe's nonce. */
  maxNonceAhead: number
}

/**
 * The Safe's veto: the checks (something left to stop, not too far ahead, the guardian an
 * owner) come before anything is signed; a dry run stops after them.
 */
export async function rejectSafeTransaction(deps: SafeVetoDeps, origin: SafeOrigin): Promise<VetoOutcome> {
  const { chainId, client, signer } = deps
  const safe = origin.safe
  const state = await deps.readSafe(safe)
  if (state.nonce > origin.nonce)
    return { status: 'refused', message: `nonce ${origin.nonce} is already used: nothing to stop` }
  // A rejection signed for a far nonce waits there, ready to burn whatever legitimate
  // transaction comes to use it: none is signed beyond the configured distance.
  const ahead = origin.nonce - state.nonce
  if (ahead > BigInt(deps.maxNonceAhead))
    return {
      status: 'refused',
      escalate: true,
      message: `nonce ${origin.nonce} is ${ahead} past the Safe's nonce ${state.nonce}, beyond veto.maxNonceAhead (${deps.maxNonceAhead}): no rejection is signed that far ahead; escalated to the signers instead`,
    }
  if (signer && !state.owners.some((o) => o.toLowerCase() === signer.address.toLowerCase()))
    return {
      status: 'refused',
      escalate: true,
      message: `the guardian ${signer.address} is not an owner of ${safe}: it cannot sign a rejection; escalated to the signers instead`,
    }
  if (deps.dryRun)
    return {
      status: 'dry-run',
      message: `dry run: custos would veto now (a rejection at nonce ${origin.nonce}), and sent nothing`,
    }
  if (!signer) return noKey
  const rejection = await signer.signSafeRejection({
    chainId,
    safe,
    version: state.version,
    nonce: origin.nonce,
  })
  // Alone at the threshold (and only at the Safe's current nonce), it executes the rejection.
  if (state.threshold <= 1n && state.nonce === origin.nonce) {
    const unsigned = await prepared(client, signer.address, (params) =>
      signer.executeSafeRejection(
        { chainId, safe, version: state.version, nonce: origin.nonce, signatures: rejection.signature },
        params,
      ),
    )
    const sent = await send(client, await signer.signTransaction(unsigned))
    return sent.ok
      ? {
          status: 'sent',
          txHash: sent.hash,
          message: `vetoed it: executed the rejection at nonce ${origin.nonce} (${sent.hash}); this transaction can no longer execute`,
        }
      : {
          status: 'failed',
          txHash: sent.hash,
          message: `the rejection at nonce ${origin.nonce} reverted (${sent.hash})`,
        }
  }
  // Otherwise it proposes it, signed, and the signers are asked to co-sign.
  await (await deps.proposer()).propose({
    safe,
    tx: rejection.tx,
    safeTxHash: rejection.safeTxHash,
    sender: signer.address,
    signature: rejection.signature,
  })
  return {
    status: 'proposed',
    // Not a veto yet: the transaction can still execute until the rejection does.
    message: `proposed a rejection at nonce ${origin.nonce} (${rejection.safeTxHash}), signed by the guardian: ${plural(Number(state.threshold) - 1, 'more signature')} needed before this transaction can no longer execute`,
  }
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`
