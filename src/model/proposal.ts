import type { Address, Hash, Hex } from 'viem'
import type { Confirmation, SafeTx } from './safe.js'

/** `create`: a legacy Safe (0.1.0, 1.0.0) deploying `data` as init code (operation 2). */
export type Call = { to: Address; value: bigint; data: Hex; operation: 'call' | 'delegatecall' | 'create' }

export type SafeOrigin = {
  kind: 'safe'
  safe: Address
  /** The hash custos computed itself from the fields. */
  safeTxHash: Hash
  nonce: bigint
  version: string
  /** The exact fields that are signed. */
  tx: SafeTx
  confirmations: Confirmation[]
}

export type Origin =
  | SafeOrigin
  | { kind: 'governor'; governor: Address; proposalId: bigint; flavor: 'oz' | 'bravo' }
  | { kind: 'timelock'; timelock: Address; operationId: Hash; eta: bigint }
  | { kind: 'module'; safe: Address; module: Address }

/** What a source claimed about a proposal. Shown for comparison, never trusted. */
export type Claimed = {
  safeTxHash?: Hash
  dataDecoded?: unknown
  description?: string
  origin?: string
}

export type Proposal = {
  /** Stable id, e.g. `1:safe:0xabc…` (safeTxHash) or `1:governor:0xdef…:42`. */
  id: string
  chainId: number
  origin: Origin
  /** Whose authority runs the calls: the Safe, the timelock. */
  executor: Address
  calls: Call[]
  claimed: Claimed
}
