import type { Address } from 'viem'
import type { Call, Origin } from './proposal.js'
import type { Level } from './severity.js'
import type { TargetKind } from './target.js'
import type { VetoStatus } from './veto.js'

/** Where a proposal stands; a protocol check's episode is `pending` while broken, `resolved` once it recovers. */
export type ProposalStatus = 'pending' | 'executed' | 'failed' | 'replaced' | 'deleted' | 'resolved'

/** What custos stored about a proposal of any kind (a Safe transaction, a governor proposal…). */
export type StoredProposal = {
  id: string
  /** Short reference for chat buttons (`proposalRef(id)`). */
  ref: string
  chainId: number
  /** The watched Safe, governor or timelock it belongs to. */
  target: { kind: TargetKind; address: Address }
  /** A Safe's nonce, a governor's proposal id (both decimal), a timelock's operation id (hex). */
  key: string
  /** Where it came from, typed (the Safe transaction's fields, the proposal's description…). */
  origin: Origin
  /** The calls it makes, as the chain will run them. */
  calls: Call[]
  /** Hash of everything that can change a verdict; an unchanged fingerprint is not re-run. */
  fingerprint: string
  status: ProposalStatus
  level: Level | null
  firstSeen: number
  lastSeen: number
}

export type OutboxRow = {
  id: number
  channel: string
  dedupKey: string
  payload: unknown
  attempts: number
  nextAttemptAt: number
  status: 'pending' | 'sent' | 'dead'
  lastError: string | null
}

export type AuditEntry = { actor: string; action: string; subject: string; details?: unknown }

/**
 * One unit of work, written atomically: a proposal's new report, the alerts it causes and the
 * cursor it advances commit together or not at all, so a crash can never lose an alert for
 * work the cursor says is done.
 */
export type WorkBatch = {
  proposals?: Array<Omit<StoredProposal, 'firstSeen' | 'lastSeen' | 'ref'>>
  statuses?: Array<{ id: string; status: ProposalStatus }>
  reports?: Array<{
    proposalId: string
    fingerprint: string
    level: Level
    score: number
    findings: FindingRow[]
    json: unknown
    /** The alert this report makes, whether or not it was sent (chat commands show it). */
    alert?: unknown
  }>
  outbox?: Array<{ channel: string; dedupKey: string; payload: unknown }>
  cursors?: Array<{ source: string; chainId: number; value: string }>
  audit?: AuditEntry[]
  /** Replaces each proposal's escalation row. */
  escalations?: Escalation[]
  acks?: Array<Omit<SignerAction, 'at'>>
  vetoRequests?: Array<Omit<SignerAction, 'at'>>
  /**
   * Veto attempts and their outcomes. One made under a claim (`claim`, its token) settles it in
   * the same commit: kept as the outcome when custos acted (sent, proposed, dry-run), released
   * otherwise.
   */
  vetoes?: Array<{
    proposalId: string
    kind: 'auto' | 'chat'
    status: VetoStatus
    txHash?: string
    details?: unknown
    claim?: string
  }>
  /**
   * What custos did as the custos Guard's guardian (approve, schedule, cancel): `signed` right
   * before a transaction is broadcast (so its event is known as custos's own, whichever replica
   * reads it), then the outcome.
   */
  guardian?: Array<Omit<GuardianRecord, 'at'> & { details?: unknown }>
  /**
   * Commit nothing unless the proposal's escalation row is still this one (its status, stage,
   * round, start and next time): the ladder climbs a rung it read earlier, and must neither undo
   * an acknowledgement made meanwhile nor send the rung after it. `applied` says which happened.
   */
  ifEscalation?: Escalation
  /**
   * Commit nothing unless this cursor still holds `value` (an absent one holds ''): two checks of
   * the same thing running at once (a drift episode's start) must not both start it.
   */
  ifCursor?: { source: string; chainId: number; value: string }
  /** Sets (`until` in ms) or clears (`until: null`) a silence. */
  silences?: Array<{ target: string; until: number | null; actor: string }>
  /**
   * This replica's judgement of proposals, for `veto.quorum` (replaces its earlier one). Only a
   * store shared by replicas keeps them; the SQLite store is one process's and ignores them.
   */
  votes?: Array<{
    proposalId: string
    level: Level
    veto: boolean
    /** A second opinion asked for by another replica's vote (it asks for none in turn). */
    second?: boolean
  }>
}

/** One of custos's guardian transactions on the custos Guard, or its outcome. */
export type GuardianRecord = {
  proposalId: string
  action: 'approve' | 'schedule' | 'cancel'
  status: VetoStatus | 'signed'
  txHash?: string | undefined
  at: number
}

/** Where a proposal is on the escalation ladder (see respond/escalation.ts). */
export type Escalation = {
  proposalId: string
  level: Level
  /** The last rung reached. */
  stage: 'posted' | 'mentioned' | 'paged'
  round: number
  /** When the next rung is due (ms). */
  nextAt: number
  status: 'open' | 'acknowledged' | 'closed' | 'exhausted'
  startedAt: number
}

/** Whether two escalation rows are the same rung of the same ladder (a compare-and-set's test). */
export const sameEscalation = (a: Escalation | undefined, b: Escalation): boolean =>
  a !== undefined &&
  a.status === b.status &&
  a.stage === b.stage &&
  a.round === b.round &&
  a.startedAt === b.startedAt &&
  a.nextAt === b.nextAt &&
  a.level === b.level

/** A signer's acknowledgement or veto request, from chat. */
export type SignerAction = {
  proposalId: string
  /** e.g. `discord:1234 (alice)`. */
  actor: string
  /** The signer address the chat identity maps to. */
  signer: string
  channel: string
  at: number
}

export type { VetoStatus }

/** Asks for the one right to act on a proposal's veto (see `Store.claimVeto`). */
export type VetoClaimRequest = {
  proposalId: string
  /** The Safe, governor or timelock: rate limits are per chain and address. */
  chainId: number
  target: string
  kind: 'auto' | 'chat'
  /** Live, an earlier dry run's claim is taken over; in a dry run it holds. */
  dryRun: boolean
  /** Claims since `since` (ms) allowed per target and in all; a signer's press has none. */
  limits?: { perTarget: number; total: number; since: number }
}

export type VetoClaim =
  | { granted: true; token: string }
  /** Another attempt is acting now. */
  | { granted: false; reason: 'acting' }
  /** custos already acted (`status`). */
  | { granted: false; reason: 'done'; status: 'sent' | 'proposed' | 'dry-run' }
  | { granted: false; reason: 'rate-limited'; perTarget: number; total: number }

/** A claim `acting` for longer than this was left by a process that died while acting. */
export const VETO_LEASE_MS = 10 * 60_000

export type Silence = { target: string; until: number; actor: string; createdAt: number }

/** A chat message a channel posted about a proposal, with the alert it showed. */
export type PostedMessage = { channel: string; dedupKey: string; ref: string; payload: unknown }

export type FindingRow = {
  guard: string
  code: string
  severity: string
  message: string
  path?: string | undefined
}

export type StoredReport = {
  id: number
  proposalId: string
  fingerprint: string
  level: Level
  score: number
  createdAt: number
  json: unknown
  alert: unknown
}

/**
 * Persistence for the watch loop. Every method is async so that a Postgres implementation can
 * fill the same interface; the SQLite one answers synchronously under the hood.
 */
export type Store = {
  commit(batch: WorkBatch): Promise<{ reportIds: number[]; enqueued: number; applied: boolean }>
  proposalByRef(ref: string): Promise<StoredProposal | undefined>
  /** Channels that were given anything about this proposal (so updates go only there). */
  channelsFor(proposalId: string): Promise<string[]>
  pendingProposals(limit: number): Promise<StoredProposal[]>
  cursors(): Promise<Array<{ source: string; chainId: number; value: string; updatedAt: number }>>
  /** Records an interaction id; false when it was seen before (a replay). */
  claimInteraction(id: string): Promise<boolean>
  acksFor(proposalId: string): Promise<SignerAction[]>
  vetoRequestsFor(proposalId: string): Promise<SignerAction[]>
  getEscalation(proposalId: string): Promise<Escalation | undefined>
  dueEscalations(now: number, limit: number): Promise<Escalation[]>
  activeSilences(now: number): Promise<Silence[]>
  /**
   * The right to act on a proposal's veto, or why not: one transaction checks that no other
   * attempt holds or settled it, counts the claims against the rate limits and writes the claim,
   * so no two attempts (in one process or in several replicas) can both act. The attempt's
   * outcome, committed with the claim's token (`WorkBatch.vetoes[].claim`), settles it.
   */
  claimVeto(request: VetoClaimRequest): Promise<VetoClaim>
  /** Claims (acting or acted, dry runs too) since `since` (ms): all, or for one target on one chain. */
  vetoesSince(since: number, target?: { chainId: number; address: string }): Promise<number>
  /** The outcomes of the veto attempts on one proposal, oldest first. */
  vetoOutcomes(proposalId: string): Promise<VetoStatus[]>
  /** custos's guardian records for a proposal, or for one transaction hash; oldest first. */
  guardianActions(of: { proposalId: string } | { txHash: string }): Promise<GuardianRecord[]>
  /** The messages `channel` posted about a proposal, oldest first. */
  messagesFor(proposalId: string, channel: string): Promise<PostedMessage[]>
  getCursor(source: string, chainId: number): Promise<string | undefined>
  getProposal(id: string): Promise<StoredProposal | undefined>
  /** A target's proposals, in key order (a Safe's by nonce). */
  proposalsOf(chainId: number, target: string, status?: ProposalStatus): Promise<StoredProposal[]>
  /**
   * Proposals a person names: by id, by the hash its id ends in (a safeTxHash, a timelock
   * operation id), or by a governor's proposal id; newest first.
   */
  lookupProposals(text: string): Promise<StoredProposal[]>
  getReport(id: number): Promise<StoredReport | undefined>
  latestReport(proposalId: string): Promise<StoredReport | undefined>
  firstReport(proposalId: string): Promise<StoredReport | undefined>
  /** Rows due at `now`, in order; on a shared store, claimed for this replica while it sends them. */
  dueOutbox(now: number, limit: number): Promise<OutboxRow[]>
  /**
   * Holds a due row for this process right before it is sent: false when it is no longer
   * pending, or another replica holds it (one that dies mid-send lets go when its claim runs out).
   */
  claimOutbox(id: number): Promise<boolean>
  /** Marks a row sent; `message` records the chat message it posted, for later edits. */
  markSent(id: number, at: number, message?: { proposalId: string; ref: string }): Promise<void>
  markRetry(id: number, nextAttemptAt: number, error: string): Promise<void>
  markDead(id: number, error: string): Promise<void>
  outboxDepth(): Promise<number>
  audit(entry: AuditEntry): Promise<void>
  auditLog(limit: number): Promise<Array<AuditEntry & { id: number; at: number }>>
  /** How several `custos run` processes share this store; absent where there can be only one. */
  replicas?: ReplicaStore
  close(): Promise<void>
}

/** What a replica says of itself. */
export type ReplicaInfo = { host: string; pid: number; version: string; startedAt: number }

export type Replica = ReplicaInfo & {
  id: string
  /** Last heartbeat (ms, the database's clock). */
  seenAt: number
  /** Its heartbeat has not run out. */
  alive: boolean
}

/** One replica's right to run a source, until `expiresAt` (ms, the database's clock). */
export type Lease = {
  name: string
  holder: string
  acquiredAt: number
  expiresAt: number
  /** It has not run out (by the database's clock). */
  active: boolean
}

/** A replica's judgement of a proposal (`veto.quorum`). */
export type Vote = { replica: string; level: Level; veto: boolean; at: number }

/**
 * Coordination of replicas through the shared store. Times that decide who holds what come from
 * the database's clock, so replicas whose clocks disagree still agree on when a lease ran out.
 */
export type ReplicaStore = {
  /** This replica's id: its leases, claims and votes carry it. */
  readonly id: string
  /** Says this replica is alive for `ttlMs` more. */
  heartbeat(info: ReplicaInfo, ttlMs: number): Promise<void>
  /**
   * Renews the leases among `keep` that this replica still holds and takes those among `take`
   * that nobody holds or whose holder let them run out; returns every lease it holds now.
   */
  lease(keep: string[], take: string[], ttlMs: number): Promise<string[]>
  /** Gives leases up at once (a graceful stop, or more than its share). */
  release(names: string[]): Promise<void>
  /** Leaves: its leases and its heartbeat go, so others take over at once. */
  leave(): Promise<void>
  replicas(): Promise<Replica[]>
  leases(): Promise<Lease[]>
  /** Now by the database's clock (ms), to read the times above against. */
  now(): Promise<number>
  /** The latest judgement of each replica that judged the proposal. */
  votes(proposalId: string): Promise<Vote[]>
  /**
   * Pending proposals a replica judged worth a veto that this one has not judged since: it
   * should judge them itself, through its own RPC endpoints (a second opinion).
   */
  votesWanted(limit: number): Promise<string[]>
}
