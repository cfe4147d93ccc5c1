import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { InputError, StoreError } from '../model/errors.js'
import { proposalRef } from '../model/ref.js'
import type {
  AuditEntry,
  Escalation,
  PostedMessage,
  SignerAction,
  Store,
  StoredProposal,
  VetoClaim,
  VetoClaimRequest,
  VetoStatus,
  WorkBatch,
} from '../model/store.js'
import { sameEscalation, VETO_LEASE_MS } from '../model/store.js'
import { encodeJson } from './codec.js'
import { MIGRATIONS } from './migrations.js'
import {
  guardianColumns,
  json,
  proposalOf,
  toEscalation,
  toGuardianRecord,
  toOutbox,
  toProposal,
  toReport,
} from './rows.js'

/**
 * Opens (creating and migrating) the SQLite store at `path`, in WAL mode. A damaged file is
 * refused with a StoreError naming it: custos would otherwise run blind on it.
 */
export function openSqliteStore(path: string, clock: () => number = Date.now): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = openChecked(path)
  db.pragma('journal_mode = WAL')
  // FULL: a committed batch survives a crash of the process and of the machine.
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  // Rows written before proposal references existed get theirs.
  const noRef = db.prepare('SELECT id FROM proposals WHERE ref IS NULL').all() as Array<{ id: string }>
  const setRef = db.prepare('UPDATE proposals SET ref = ? WHERE id = ?')
  for (const r of noRef) setRef.run(proposalRef(r.id), r.id)

  const q = {
    upsertProposal: db.prepare(`
      INSERT INTO proposals (id, ref, chain_id, target_kind, target, key, origin, calls, fingerprint, status, level, first_seen, last_seen)
      VALUES (@id, @ref, @chainId, @targetKind, @target, @key, @origin, @calls, @fingerprint, @status, @level, @now, @now)
      ON CONFLICT (id) DO UPDATE SET fingerprint = @fingerprint, level = @level, last_seen = @now,
        origin = @origin, calls = @calls,
        status = CASE WHEN proposals.status IN ('executed', 'failed') THEN proposals.status ELSE @status END`),
    setStatus: db.prepare('UPDATE proposals SET status = ?, last_seen = ? WHERE id = ?'),
    insertReport: db.prepare(
      'INSERT INTO reports (proposal_id, fingerprint, level, score, created_at, json, alert) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    insertFinding: db.prepare(
      'INSERT INTO findings (report_id, guard, code, severity, message, path) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertVerdict: db.prepare(
      'INSERT INTO verdicts (report_id, level, actions, decided_at) VALUES (?, ?, ?, ?)',
    ),
    enqueue:
      db.prepare(`INSERT INTO outbox (channel, dedup_key, payload, next_attempt_at, created_at, proposal_id) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (channel, dedup_key) DO NOTHING`),
    setCursor: db.prepare(`INSERT INTO cursors (source, chain_id, value, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (source, chain_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
    getCursor: db.prepare('SELECT value FROM cursors WHERE source = ? AND chain_id = ?'),
    insertAudit: db.prepare('INSERT INTO audit (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)'),
    getProposal: db.prepare('SELECT * FROM proposals WHERE id = ?'),
    // Keys are decimal numbers without leading zeros (or hashes of one length): ordered by length
    // first, they sort as numbers, exactly, however large.
    byTarget: db.prepare(
      'SELECT * FROM proposals WHERE chain_id = ? AND lower(target) = lower(?) ORDER BY length(key), key, id',
    ),
    byTargetStatus: db.prepare(
      'SELECT * FROM proposals WHERE chain_id = ? AND lower(target) = lower(?) AND status = ? ORDER BY length(key), key, id',
    ),
    lookup: db.prepare(`SELECT * FROM proposals WHERE id = @q OR id LIKE '%:' || lower(@q)
      OR (target_kind = 'governor' AND key = @q) ORDER BY last_seen DESC LIMIT 20`),
    getReport: db.prepare('SELECT * FROM reports WHERE id = ?'),
    latestReport: db.prepare('SELECT * FROM reports WHERE proposal_id = ? ORDER BY id DESC LIMIT 1'),
    firstReport: db.prepare('SELECT * FROM reports WHERE proposal_id = ? ORDER BY id ASC LIMIT 1'),
    due: db.prepare(`SELECT * FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?
      AND (o.proposal_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel
        AND p.proposal_id = o.proposal_id AND p.status = 'pending' AND p.id < o.id))
      ORDER BY o.next_attempt_at, o.id LIMIT ?`),
    channelsFor: db.prepare('SELECT DISTINCT channel FROM outbox WHERE proposal_id = ?'),
    byRef: db.prepare('SELECT * FROM proposals WHERE ref = ?'),
    pending: db.prepare("SELECT * FROM proposals WHERE status = 'pending' ORDER BY last_seen DESC LIMIT ?"),
    cursors: db.prepare('SELECT * FROM cursors ORDER BY source, chain_id'),
    claim: db.prepare('INSERT INTO interactions (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING'),
    insertAck: db.prepare(
      'INSERT INTO acks (proposal_id, actor, signer, channel, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    acks: db.prepare('SELECT * FROM acks WHERE proposal_id = ? ORDER BY id'),
    insertVetoRequest: db.prepare(
      "INSERT INTO vetoes (proposal_id, kind, status, details, created_at) VALUES (?, 'request', 'requested', ?, ?)",
    ),
    vetoRequests: db.prepare("SELECT * FROM vetoes WHERE proposal_id = ? AND kind = 'request' ORDER BY id"),
    vetoOutcomes: db.prepare(
      "SELECT status FROM vetoes WHERE proposal_id = ? AND kind IN ('auto', 'chat') ORDER BY id",
    ),
    guardianOf: db.prepare(
      "SELECT proposal_id, status, tx_hash, details, created_at FROM vetoes WHERE kind = 'guardian' AND proposal_id = ? ORDER BY id",
    ),
    guardianTx: db.prepare(
      "SELECT proposal_id, status, tx_hash, details, created_at FROM vetoes WHERE kind = 'guardian' AND tx_hash = ? ORDER BY id",
    ),
    insertVeto: db.prepare(
      'INSERT INTO vetoes (proposal_id, kind, status, tx_hash, details, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    getClaim: db.prepare('SELECT status, updated_at FROM veto_claims WHERE proposal_id = ?'),
    // Every claim still standing counts: the ones acting now and the ones that acted.
    countClaims: db.prepare(`SELECT count(*) AS n FROM veto_claims WHERE claimed_at >= ? AND proposal_id <> ?
      AND (? IS NULL OR (chain_id = ? AND target = ?))`),
    putClaim: db.prepare(`INSERT INTO veto_claims
      (proposal_id, chain_id, target, kind, status, token, claimed_at, updated_at)
      VALUES (@proposalId, @chainId, @target, @kind, 'acting', @token, @now, @now)
      ON CONFLICT (proposal_id) DO UPDATE SET chain_id = @chainId, target = @target, kind = @kind,
        status = 'acting', token = @token, claimed_at = @now, updated_at = @now`),
    settleClaim: db.prepare(
      "UPDATE veto_claims SET status = ?, updated_at = ? WHERE proposal_id = ? AND token = ? AND status = 'acting'",
    ),
    releaseClaim: db.prepare(
      "DELETE FROM veto_claims WHERE proposal_id = ? AND token = ? AND status = 'acting'",
    ),
    upsertEscalation: db.prepare(`INSERT INTO escalations
      (proposal_id, level, stage, round, next_at, status, started_at, updated_at)
      VALUES (@proposalId, @level, @stage, @round, @nextAt, @status, @startedAt, @now)
      ON CONFLICT (proposal_id) DO UPDATE SET level = @level, stage = @stage, round = @round,
        next_at = @nextAt, status = @status, started_at = @startedAt, updated_at = @now`),
    getEscalation: db.prepare('SELECT * FROM escalations WHERE proposal_id = ?'),
    dueEscalations: db.prepare(
      "SELECT * FROM escalations WHERE status = 'open' AND next_at <= ? ORDER BY next_at LIMIT ?",
    ),
    setSilence: db.prepare(`INSERT INTO silences (target, until, actor, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (target) DO UPDATE SET until = excluded.until, actor = excluded.actor, created_at = excluded.created_at`),
    clearSilence: db.prepare('DELETE FROM silences WHERE target = ?'),
    silences: db.prepare('SELECT * FROM silences WHERE until > ? ORDER BY target'),
    recordMessage: db.prepare(`INSERT INTO messages (channel, dedup_key, proposal_id, ref, created_at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, dedup_key) DO UPDATE SET ref = excluded.ref`),
    messages: db.prepare(`SELECT m.channel, m.dedup_key, m.ref, o.payload FROM messages m
      JOIN outbox o ON o.channel = m.channel AND o.dedup_key = m.dedup_key
      WHERE m.proposal_id = ? AND m.channel = ? ORDER BY m.created_at, o.id`),
    outboxRow: db.prepare('SELECT channel, dedup_key FROM outbox WHERE id = ?'),
    outboxStatus: db.prepare('SELECT status FROM outbox WHERE id = ?'),
    sent: db.prepare(
      "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
    ),
    retry: db.prepare(
      'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?',
    ),
    dead: db.prepare(
      "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?",
    ),
    depth: db.prepare("SELECT count(*) AS n FROM outbox WHERE status = 'pending'"),
    auditLog: db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?'),
  }

  const commit = db.transaction((batch: WorkBatch) => {
    const now = clock()
    if (
      batch.ifEscalation &&
      !sameEscalation(toEscalation(q.getEscalation.get(batch.ifEscalation.proposalId)), batch.ifEscalation)
    )
      return { reportIds: [], enqueued: 0, applied: false }
    if (batch.ifCursor) {
      const { source, chainId, value } = batch.ifCursor
      const row = q.getCursor.get(source, chainId) as { value: string } | undefined
      if ((row?.value ?? '') !== value) return { reportIds: [], enqueued: 0, applied: false }
    }
    for (const p of batch.proposals ?? [])
      q.upsertProposal.run({
        id: p.id,
        ref: proposalRef(p.id),
        chainId: p.chainId,
        targetKind: p.target.kind,
        target: p.target.address,
        key: p.key,
        origin: encodeJson(p.origin),
        calls: encodeJson(p.calls),
        fingerprint: p.fingerprint,
        status: p.status,
        level: p.level,
        now,
      })
    for (const s of batch.statuses ?? []) q.setStatus.run(s.status, now, s.id)
    const reportIds: number[] = []
    for (const r of batch.reports ?? []) {
      const id = Number(
        q.insertReport.run(
          r.proposalId,
          r.fingerprint,
          r.level,
          r.score,
          now,
          json(r.json),
          r.alert === undefined ? null : json(r.alert),
        ).lastInsertRowid,
      )
      for (const f of r.findings)
        q.insertFinding.run(id, f.guard, f.code, f.severity, f.message, f.path ?? null)
      q.insertVerdict.run(id, r.level, json(batch.outbox?.map((o) => o.channel) ?? []), now)
      reportIds.push(id)
    }
    let enqueued = 0
    for (const o of batch.outbox ?? [])
      enqueued += q.enqueue.run(
        o.channel,
        o.dedupKey,
        json(o.payload),
        now,
        now,
        proposalOf(o.payload),
      ).changes
    for (const c of batch.cursors ?? []) q.setCursor.run(c.source, c.chainId, c.value, now)
    for (const e of batch.escalations ?? []) q.upsertEscalation.run({ ...e, now })
    for (const a of batch.acks ?? []) q.insertAck.run(a.proposalId, a.actor, a.signer, a.channel, now)
    for (const v of batch.vetoRequests ?? [])
      q.insertVetoRequest.run(
        v.proposalId,
        json({ actor: v.actor, signer: v.signer, channel: v.channel }),
        now,
      )
    for (const v of batch.vetoes ?? []) {
      q.insertVeto.run(
        v.proposalId,
        v.kind,
        v.status,
        v.txHash ?? null,
        v.details === undefined ? null : json(v.details),
        now,
      )
      if (v.claim === undefined) continue
      if (v.status === 'sent' || v.status === 'proposed' || v.status === 'dry-run')
        q.settleClaim.run(v.status, now, v.proposalId, v.claim)
      else q.releaseClaim.run(v.proposalId, v.claim)
    }
    for (const g of batch.guardian ?? []) q.insertVeto.run(g.proposalId, ...guardianColumns(g), now)
    // batch.votes: one process judges alone (a quorum needs replicas on PostgreSQL).
    for (const x of batch.silences ?? []) {
      if (x.until === null) q.clearSilence.run(x.target)
      else q.setSilence.run(x.target, x.until, x.actor, now)
    }
    for (const a of batch.audit ?? [])
      q.insertAudit.run(now, a.actor, a.action, a.subject, a.details === undefined ? null : json(a.details))
    return { reportIds, enqueued, applied: true }
  })

  const countClaims = (since: number, except: string, target?: { chainId: number; address: string }) =>
    (
      q.countClaims.get(
        since,
        except,
        target ? 1 : null,
        target?.chainId ?? null,
        target?.address.toLowerCase() ?? null,
      ) as { n: number }
    ).n
  const claimVeto = db.transaction((r: VetoClaimRequest, now: number, token: string): VetoClaim => {
    const held = q.getClaim.get(r.proposalId) as { status: string; updated_at: number } | undefined
    if (held?.status === 'acting' && held.updated_at > now - VETO_LEASE_MS)
      return { granted: false, reason: 'acting' }
    if (held?.status === 'sent' || held?.status === 'proposed' || (held?.status === 'dry-run' && r.dryRun))
      return { granted: false, reason: 'done', status: held.status }
    if (r.limits) {
      const perTarget = countClaims(r.limits.since, r.proposalId, { chainId: r.chainId, address: r.target })
      const total = countClaims(r.limits.since, r.proposalId)
      if (perTarget >= r.limits.perTarget || total >= r.limits.total)
        return { granted: false, reason: 'rate-limited', perTarget, total }
    }
    q.putClaim.run({
      proposalId: r.proposalId,
      chainId: r.chainId,
      target: r.target.toLowerCase(),
      kind: r.kind,
      token,
      now,
    })
    return { granted: true, token }
  })

  return {
    commit: async (batch) => commit(batch),
    // IMMEDIATE: the write lock is taken before the checks, so another process's claim waits.
    claimVeto: async (request) => claimVeto.immediate(request, clock(), randomUUID()),
    getCursor: async (source, chainId) =>
      (q.getCursor.get(source, chainId) as { value: string } | undefined)?.value,
    getProposal: async (id) => toProposal(q.getProposal.get(id)),
    proposalsOf: async (chainId, target, status) =>
      (
        (status
          ? q.byTargetStatus.all(chainId, target, status)
          : q.byTarget.all(chainId, target)) as unknown[]
      ).map((r) => toProposal(r) as StoredProposal),
    lookupProposals: async (text) =>
      (q.lookup.all({ q: text.trim() }) as unknown[]).map((r) => toProposal(r) as StoredProposal),
    getReport: async (id) => toReport(q.getReport.get(id)),
    latestReport: async (proposalId) => toReport(q.latestReport.get(proposalId)),
    firstReport: async (proposalId) => toReport(q.firstReport.get(proposalId)),
    dueOutbox: async (now, limit) => (q.due.all(now, limit) as Record<string, unknown>[]).map(toOutbox),
    // One process sends: a row is its own while it is pending.
    claimOutbox: async (id) =>
      (q.outboxStatus.get(id) as { status: string } | undefined)?.status === 'pending',
    markSent: async (id, at, message) =>
      void db.transaction(() => {
        q.sent.run(at, id)
        if (!message) return
        const row = q.outboxRow.get(id) as { channel: string; dedup_key: string } | undefined
        if (row) q.recordMessage.run(row.channel, row.dedup_key, message.proposalId, message.ref, at)
      })(),
    proposalByRef: async (ref) => toProposal(q.byRef.get(ref)),
    channelsFor: async (proposalId) =>
      (q.channelsFor.all(proposalId) as Array<{ channel: string }>).map((r) => r.channel),
    pendingProposals: async (limit) =>
      (q.pending.all(limit) as unknown[]).map((r) => toProposal(r) as StoredProposal),
    cursors: async () =>
      (q.cursors.all() as Record<string, unknown>[]).map((r) => ({
        source: r.source as string,
        chainId: r.chain_id as number,
        value: r.value as string,
        updatedAt: r.updated_at as number,
      })),
    claimInteraction: async (id) => q.claim.run(id, clock()).changes > 0,
    acksFor: async (proposalId) =>
      (q.acks.all(proposalId) as Record<string, unknown>[]).map((r) => ({
        proposalId,
        actor: r.actor as string,
        signer: (r.signer as string | null) ?? '',
        channel: r.channel as string,
        at: r.at as number,
      })),
    vetoRequestsFor: async (proposalId) =>
      (q.vetoRequests.all(proposalId) as Record<string, unknown>[]).map((r) => {
        const d = JSON.parse((r.details as string | null) ?? '{}') as Partial<SignerAction>
        return {
          proposalId,
          actor: d.actor ?? '',
          signer: d.signer ?? '',
          channel: d.channel ?? '',
          at: r.created_at as number,
        }
      }),
    getEscalation: async (proposalId) => toEscalation(q.getEscalation.get(proposalId)),
    dueEscalations: async (now, limit) =>
      (q.dueEscalations.all(now, limit) as unknown[]).map((r) => toEscalation(r) as Escalation),
    guardianActions: async (of) =>
      (
        ('txHash' in of
          ? q.guardianTx.all(of.txHash.toLowerCase())
          : q.guardianOf.all(of.proposalId)) as Record<string, unknown>[]
      ).map(toGuardianRecord),
    vetoOutcomes: async (proposalId) =>
      (q.vetoOutcomes.all(proposalId) as Array<{ status: VetoStatus }>).map((r) => r.status),
    vetoesSince: async (since, target) => countClaims(since, '', target),
    activeSilences: async (now) =>
      (q.silences.all(now) as Record<string, unknown>[]).map((r) => ({
        target: r.target as string,
        until: r.until as number,
        actor: r.actor as string,
        createdAt: r.created_at as number,
      })),
    messagesFor: async (proposalId, channel) =>
      (q.messages.all(proposalId, channel) as Record<string, unknown>[]).map(
        (r): PostedMessage => ({
          channel: r.channel as string,
          dedupKey: r.dedup_key as string,
          ref: r.ref as string,
          payload: JSON.parse(r.payload as string),
        }),
      ),
    markRetry: async (id, at, error) => void q.retry.run(at, error.slice(0, 1000), id),
    markDead: async (id, error) => void q.dead.run(error.slice(0, 1000), id),
    outboxDepth: async () => (q.depth.get() as { n: number }).n,
    audit: async (a: AuditEntry) =>
      void q.insertAudit.run(
        clock(),
        a.actor,
        a.action,
        a.subject,
        a.details === undefined ? null : json(a.details),
      ),
    auditLog: async (limit) =>
      (q.auditLog.all(limit) as Record<string, unknown>[]).map((r) => ({
        id: r.id as number,
        at: r.at as number,
        actor: r.actor as string,
        action: r.action as string,
        subject: r.subject as string,
        details: r.details === null ? undefined : JSON.parse(r.details as string),
      })),
    close: async () => void db.close(),
  }
}

/** The database at `path`, after `PRAGMA quick_check` found it whole. */
function openChecked(path: string): Database.Database {
  let db: Database.Database | undefined
  let problems: string[]
  try {
    db = new Database(path)
    problems = (db.pragma('quick_check') as Array<{ quick_check: string }>)
      .map((r) => r.quick_check)
      .filter((r) => r !== 'ok')
  } catch (cause) {
    // A file that is not a database, or whose schema pages are unreadable, fails the check itself.
    db?.close()
    const reason = oneLine(cause instanceof Error ? cause.message : String(cause))
    throw new StoreError(`the store ${path} cannot be read: ${reason}`, { cause })
  }
  if (problems.length > 0) {
    db.close()
    throw new StoreError(
      `the store ${path} is damaged (quick_check: ${oneLine(problems.slice(0, 3).join('; '))}${problems.length > 3 ? ` and ${problems.length - 3} more` : ''}); restore it from a backup, or move it aside to start with an empty store`,
    )
  }
  return db
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 300)

function migrate(db: Database.Database) {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > MIGRATIONS.length) {
    throw new InputError(
      `the store ${db.name} was written by a newer custos (schema ${current}, this one knows ${MIGRATIONS.length}): upgrade custos, or give it another dataDir`,
    )
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const step = MIGRATIONS[v]
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step)
      else step?.(db)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}
