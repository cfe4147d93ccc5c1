import type { Address, Hash } from 'viem'
import type { CheckKind, CheckProblem } from './check.js'
import type { DecodedCall } from './decoded.js'
import type { Finding } from './finding.js'
import type { GovernanceFacts } from './governance.js'
import type { Proposal } from './proposal.js'
import type { SafeState } from './safe.js'
import type { Level } from './severity.js'
import type { SimulationResult } from './simulation.js'
import type { ClaimCheck, SignatureCheck } from './verification.js'

/** What every report has: the proposal, what it does, what the guards found. */
type ReportBase = {
  proposal: Proposal
  /** Present when a simulation was asked for: what it showed, or why it could not run. */
  simulation?: SimulationResult
  /** The decoded calls; for governance, a root whose calls are the proposal's calls. */
  call: DecodedCall
  signatures: SignatureCheck[]
  claims: ClaimCheck[]
  findings: Finding[]
  risk: { level: Level; score: number }
  /** Known names of the addresses in the report (address book, tokens, Safe's contracts, owners). */
  labels: Record<Address, string>
  checkedAt: string
}

/** A Safe transaction's report: with the Safe and the three hashes a hardware wallet shows. */
export type SafeReport = ReportBase & {
  safe: { address: Address; version: string; chainId: number; state?: SafeState }
  hashes: {
    domainHash: Hash
    messageHash: Hash
    safeTxHash: Hash
    claimedSafeTxHash?: Hash
    match: boolean | null
  }
  governance?: undefined
  check?: undefined
}

/** A governor proposal's or timelock operation's report: with what custos read about it. */
export type GovernanceReport = ReportBase & {
  governance: GovernanceFacts
  safe?: undefined
  hashes?: undefined
  check?: undefined
}

/** What a protocol check found when it broke (or got worse): its report on the judge path. */
export type CheckFacts = {
  /** The protocol's name. */
  protocol: string
  id: string
  kind: CheckKind
  /** What it read, for people. */
  summary: string
  problems: CheckProblem[]
  notes?: string[]
  block: bigint
  /** How many times this episode was raised (1 for its first alert). */
  raised: number
  /** Why it was raised again. */
  worse?: string
  /** The pause the check calls for (`action: pause`) or a signer may press. */
  pause?: { name: string; target: Address; signature: string; auto: boolean }
}

/** A protocol check's episode: the check's problems are its findings. */
export type CheckReport = ReportBase & {
  check: CheckFacts
  safe?: undefined
  hashes?: undefined
  governance?: undefined
}

/** The outcome of checking one proposal: what it is, what was verified, what the guards found. */
export type Report = SafeReport | GovernanceReport | CheckReport
