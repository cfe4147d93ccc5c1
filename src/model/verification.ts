import type { Address, Hash, Hex } from 'viem'
import type { DecodedCall } from './decoded.js'
import type { SafeHashes, SafeState } from './safe.js'

export type SignatureKind = 'ecdsa' | 'eth_sign' | 'approved-hash' | 'contract'

/** The independent check of one confirmation. */
export type SignatureCheck = {
  index: number
  /** The owner the source claimed signed it. */
  claimedOwner?: Address
  kind?: SignatureKind
  /** Who actually signed: recovered for ECDSA/eth_sign, declared in `r` for approved-hash and contract. */
  signer?: Address
  /** Whether the signer is a current owner; absent when the owners are unknown (no RPC). */
  isOwner?: boolean
  /** approved-hash: whether approvedHashes[signer][safeTxHash] is set on chain (RPC only). */
  approvedOnChain?: boolean
  /** contract: whether EIP-1271 validation succeeded (RPC only). */
  eip1271Valid?: boolean
  /** contract: the bytes handed to the signer contract's isValidSignature. */
  contractData?: Hex
  /** The signature bytes could not be parsed. */
  malformed?: string
  signature: Hex
}

/**
 * The claimed dataDecoded compared with the raw calldata. `unconfirmed`: the claim encodes to the
 * bytes but names a selector custos cannot decode, so its function name is only a claim.
 */
export type ClaimCheck = {
  path: string
  status: 'match' | 'mismatch' | 'malformed' | 'unverifiable' | 'unconfirmed'
  detail: string
}

/** Everything the verify stage established, independently of any claim. */
export type Verification = {
  /** The Safe transaction's hashes (absent for governance proposals, which have none). */
  hashes?: SafeHashes
  claimedSafeTxHash?: Hash
  /** The decoded call tree; the root is the Safe transaction itself. */
  call: DecodedCall
  signatures: SignatureCheck[]
  claims: ClaimCheck[]
  /** More confirmations came than custos checks (the owners plus a margin, within a hard cap). */
  confirmationsUnchecked?: { received: number; checked: number }
  /** Present when custos read the Safe from a chain (--rpc). */
  safeState?: SafeState
  /** Official Safe deployments on this chain (from @safe-global/safe-deployments), by address. */
  official: Map<Address, OfficialContract>
}

/** A contract published by Safe for this chain, e.g. `{ name: 'MultiSendCallOnly', version: '1.4.1' }`. */
export type OfficialContract = { name: string; version: string }
