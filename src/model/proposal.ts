import type { Address, Hash, Hex } from 'viem'
import type { CheckKind } from './check.js'
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
  /** Where custos first read it when that was not the transaction service: the custos Guard's Scheduled event. */
  seenOn?: 'guard'
}

/** A governor's proposal, as its ProposalCreated event gave it. */
export type GovernorOrigin = {
  kind: 'governor'
  governor: Address
  proposalId: bigint
  flavor: 'oz' | 'bravo'
  /** OpenZeppelin identifies a proposal by its calls and this text's hash (a cancel needs it). */
  description: string
  proposer?: Address
  /** The block it was created in. */
  createdBlock: bigint
  voteEnd: bigint
  /** When it can execute (s), once queued (Bravo says so only in its ProposalQueued event). */
  eta?: bigint
  /** Why a call could not be rebuilt from the event (never silently dropped). */
  problems?: string[]
}

/** A TimelockController operation, as its CallScheduled events gave it. */
export type TimelockOrigin = {
  kind: 'timelock'
  timelock: Address
  operationId: Hash
  /** When it can execute (s); 0 when unknown. */
  eta: bigint
  /** The block it was scheduled in. */
  createdBlock: bigint
  /** Why the scheduled calls do not add up (a missing or doubled index). */
  problems?: string[]
}

/**
 * A protocol check's episode: from the round it broke to the round it recovers, one item on the
 * judge path (one alert, raised again only when worse, resolved when it recovers).
 */
export type CheckOrigin = {
  kind: 'check'
  /** The protocol's address (its target). */
  protocol: Address
  /** The check's id within the protocol. */
  check: string
  checkKind: CheckKind
  /** When the episode started (ms): with the check's id, the episode's key. */
  since: number
  /** The block it was first seen broken at. */
  block: bigint
  /** The problems last alerted, with their measures: a new problem, or one worse by the check's step, raises it again. */
  alerted: Array<{ key: string; measure?: number }>
  /** How many times it was raised (1 for the first alert). */
  raised: number
  /** The pause the check calls for (`action: pause`), or that a signer may press. */
  pause?: string
}

export type Origin =
  | SafeOrigin
  | GovernorOrigin
  | TimelockOrigin
  | CheckOrigin
  | { kind: 'module'; safe: Address; module: Address }

/** The stable id of a proposal: `1:safe:<safeTxHash>`, `1:governor:<address>:<id>`, `1:timelock:<address>:<op>`. */
export function proposalId(chainId: number, origin: Origin): string {
  switch (origin.kind) {
    case 'safe':
      return safeProposalId(chainId, origin.safeTxHash)
    case 'governor':
      return `${chainId}:governor:${origin.governor.toLowerCase()}:${origin.proposalId}`
    case 'timelock':
      return `${chainId}:timelock:${origin.timelock.toLowerCase()}:${origin.operationId.toLowerCase()}`
    case 'check':
      return `${chainId}:check:${origin.protocol.toLowerCase()}:${origin.check}:${origin.since}`
    case 'module':
      return `${chainId}:module:${origin.safe.toLowerCase()}:${origin.module.toLowerCase()}`
  }
}

/** A Safe transaction's proposal id, from the safeTxHash custos computed. */
export const safeProposalId = (chainId: number, safeTxHash: string) =>
  `${chainId}:safe:${safeTxHash.toLowerCase()}`

/** The watched target a proposal belongs to, and its key there (nonce, proposal id, operation id, episode). */
export function targetOf(origin: Origin): {
  kind: 'safe' | 'governor' | 'timelock' | 'protocol'
  address: Address
  key: string
} {
  switch (origin.kind) {
    case 'safe':
      return { kind: 'safe', address: origin.safe, key: origin.nonce.toString() }
    case 'governor':
      return { kind: 'governor', address: origin.governor, key: origin.proposalId.toString() }
    case 'timelock':
      return { kind: 'timelock', address: origin.timelock, key: origin.operationId.toLowerCase() }
    case 'check':
      return { kind: 'protocol', address: origin.protocol, key: `${origin.check}:${origin.since}` }
    case 'module':
      return { kind: 'safe', address: origin.safe, key: origin.module.toLowerCase() }
  }
}

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
