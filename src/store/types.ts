import type { Level } from '../model/severity.js'

export type ProposalStatus = 'pending' | 'executed' | 'failed' | 'replaced' | 'deleted'

export type StoredProposal = {
  id: string
  chainId: number
  safe: string
  nonce: bigint
  safeTxHash: string
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
  proposals?: Array<Omit<StoredProposal, 'firstSeen' | 'lastSeen'>>
  statuses?: Array<{ id: string; status: ProposalStatus }>
  reports?: Array<{
    proposalId: string
    fingerprint: string
    level: Level
    score: number
    findings: FindingRow[]
    json: unknown
  }>
  outbox?: Array<{ channel: string; dedupKey: string; payload: unknown }>
  cursors?: Array<{ source: string; chainId: number; value: string }>
  audit?: AuditEntry[]
}

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
}

/**
 * Persistence for the watch loop. Every method is async so that a Postgres implementation can
 * fill the same interface; the SQLite one answers synchronously under the hood.
 */
export type Store = {
  commit(batch: WorkBatch): Promise<{ reportIds: number[]; enqueued: number }>
  getCursor(source: string, chainId: number): Promise<string | undefined>
  getProposal(id: string): Promise<StoredProposal | undefined>
  proposalsBySafe(chainId: number, safe: string, status?: ProposalStatus): Promise<StoredProposal[]>
  findProposalByHash(chainId: number, safeTxHash: string): Promise<StoredProposal | undefined>
  getReport(id: number): Promise<StoredReport | undefined>
  latestReport(proposalId: string): Promise<StoredReport | undefined>
  dueOutbox(now: number, limit: number): Promise<OutboxRow[]>
  markSent(id: number, at: number): Promise<void>
  markRetry(id: number, nextAttemptAt: number, error: string): Promise<void>
  markDead(id: number, error: string): Promise<void>
  outboxDepth(): Promise<number>
  audit(entry: AuditEntry): Promise<void>
  auditLog(limit: number): Promise<Array<AuditEntry & { id: number; at: number }>>
  close(): Promise<void>
}
