import type { Address, Hash } from 'viem'
import type { DecodedCall } from './decoded.js'
import type { Finding } from './finding.js'
import type { Proposal } from './proposal.js'
import type { SafeState } from './safe.js'
import type { Level } from './severity.js'
import type { SimulationResult } from './simulation.js'
import type { ClaimCheck, SignatureCheck } from './verification.js'

/** The outcome of checking one proposal: what it is, what was verified, what the guards found. */
export type Report = {
  proposal: Proposal
  safe: { address: Address; version: string; chainId: number; state?: SafeState }
  hashes: {
    domainHash: Hash
    messageHash: Hash
    safeTxHash: Hash
    claimedSafeTxHash?: Hash
    match: boolean | null
  }
  /** Present when a simulation was asked for: what it showed, or why it could not run. */
  simulation?: SimulationResult
  call: DecodedCall
  signatures: SignatureCheck[]
  claims: ClaimCheck[]
  findings: Finding[]
  risk: { level: Level; score: number }
  /** Known names of the addresses in the report (address book, tokens, Safe's contracts, owners). */
  labels: Record<Address, string>
  checkedAt: string
}
