import type { Hash, PublicClient } from 'viem'
import { flattenCalls } from '../model/calls.js'
import type { FunctionRegistry } from '../model/decoded.js'
import type { Confirmation, SafeHashes, SafeState, SafeTx } from '../model/safe.js'
import { safeTxHashes } from '../model/safe-hash.js'
import type { Verification } from '../model/verification.js'
import { checkSignaturesOnChain, verifyCanonical } from './chain.js'
import { checkClaimedDecoding } from './claims.js'
import { type DecodeLimits, decodeCallTree } from './decode.js'
import { isKnownChain, officialContracts } from './official.js'
import { confirmationLimit, recoverConfirmations } from './signatures.js'

export type SafeTxInput = {
  tx: SafeTx
  version: string
  chainId: number
  claimedSafeTxHash?: Hash
  confirmations: Confirmation[]
  dataDecoded?: unknown
}

export type VerifyDeps = {
  registry: FunctionRegistry
  limits: DecodeLimits
  /** With a client and the Safe's state, signatures are checked against the chain. */
  chain?: { client: PublicClient; state: SafeState }
}

/** Establishes what the signed bytes are, independently of every claim made about them. */
export async function verifySafeTx(
  input: SafeTxInput,
  deps: VerifyDeps,
): Promise<Verification & { hashes: SafeHashes }> {
  const { tx } = input
  const hashes = safeTxHashes(input.version, input.chainId, tx)
  const call = decodeCallTree(
    { from: tx.safe, to: tx.to, value: tx.value, data: tx.data, operation: tx.operation },
    deps.registry,
    deps.limits,
  )
  const claims = checkClaimedDecoding(call, input.dataDecoded)
  // Work is bounded by the Safe, not by the input: confirmations past the limit are only counted.
  const limit = confirmationLimit(deps.chain?.state.owners.length)
  const received = input.confirmations.length
  let signatures = await recoverConfirmations(input.confirmations.slice(0, limit), hashes.safeTxHash)
  const official = officialContracts(input.chainId)
  if (deps.chain) {
    signatures = await checkSignaturesOnChain(
      deps.chain.client,
      deps.chain.state,
      tx.safe,
      hashes,
      signatures,
    )
    if (!isKnownChain(input.chainId)) {
      for (const [address, contract] of await verifyCanonical(deps.chain.client, [
        ...new Set(flattenCalls(call).map((c) => c.to)),
      ]))
        official.set(address, contract)
    }
  }
  return {
    hashes,
    ...(input.claimedSafeTxHash ? { claimedSafeTxHash: input.claimedSafeTxHash } : {}),
    call,
    signatures,
    claims,
    ...(received > limit ? { confirmationsUnchecked: { received, checked: limit } } : {}),
    ...(deps.chain ? { safeState: deps.chain.state } : {}),
    official,
  }
}
