import type { Address } from 'viem'
import { proposalRef } from '../model/ref.js'
import type { Level } from '../model/severity.js'
import type {
  Escalation,
  GuardianRecord,
  OutboxRow,
  ProposalStatus,
  StoredProposal,
  StoredReport,
  WorkBatch,
} from '../model/store.js'
import { decodeJson } from './codec.js'

// Rows as both stores read them back: the same column names, JSON in text columns, times and
// ids as numbers.

/** JSON for report and payload columns (bigints as decimal strings, as the report shows them). */
export const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))

export function toProposal(row: unknown): StoredProposal | undefined {
  if (!row) return undefined
  const r = row as Record<string, unknown>
  return {
    id: r.id as string,
    ref: (r.ref as string | null) ?? proposalRef(r.id as string),
    chainId: r.chain_id as number,
    target: { kind: r.target_kind as StoredProposal['target']['kind'], address: r.target as Address },
    key: r.key as string,
    origin: decodeJson(r.origin as string),
    calls: decodeJson(r.calls as string),
    fingerprint: r.fingerprint as string,
    status: r.status as ProposalStatus,
    level: (r.level as Level | null) ?? null,
    firstSeen: r.first_seen as number,
    lastSeen: r.last_seen as number,
  }
}

export function toReport(row: unknown): StoredReport | undefined {
  if (!row) return undefined
  const r = row as Record<string, unknown>
  return {
    id: r.id as number,
    proposalId: r.proposal_id as string,
    fingerprint: r.fingerprint as string,
    level: r.level as Level,
    score: r.score as number,
    createdAt: r.created_at as number,
    json: JSON.parse(r.json as string),
    alert: r.alert ? JSON.parse(r.alert as string) : undefined,
  }
}

export function toOutbox(r: Record<string, unknown>): OutboxRow {
  return {
    id: r.id as number,
    channel: r.channel as string,
    dedupKey: r.dedup_key as string,
    payload: JSON.parse(r.payload as string),
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as number,
    status: r.status as OutboxRow['status'],
    lastError: (r.last_error as string | null) ?? null,
  }
}

export function toEscalation(row: unknown): Escalation | undefined {
  if (!row) return undefined
  const r = row as Record<string, unknown>
  return {
    proposalId: r.proposal_id as string,
    level: r.level as Level,
    stage: r.stage as Escalation['stage'],
    round: r.round as number,
    nextAt: r.next_at as number,
    status: r.status as Escalation['status'],
    startedAt: r.started_at as number,
  }
}

/** The proposal an outbox payload is about (alerts, updates and notices carry `proposalId`). */
export function proposalOf(payload: unknown): string | null {
  const id = (payload as { proposalId?: unknown } | null)?.proposalId
  return typeof id === 'string' ? id : null
}

/** A guardian record's `vetoes` columns after proposal_id: kind, status, tx_hash, details. */
export const guardianColumns = (g: NonNullable<WorkBatch['guardian']>[number]) =>
  [
    'guardian',
    g.status,
    g.txHash?.toLowerCase() ?? null,
    json({ action: g.action, ...(g.details === undefined ? {} : { details: g.details }) }),
  ] as const

export function toGuardianRecord(row: Record<string, unknown>): GuardianRecord {
  const details = decodeJson(row.details as string) as { action?: GuardianRecord['action'] } | null
  return {
    proposalId: row.proposal_id as string,
    action: details?.action ?? 'cancel',
    status: row.status as GuardianRecord['status'],
    ...(row.tx_hash ? { txHash: row.tx_hash as string } : {}),
    at: Number(row.created_at),
  }
}
