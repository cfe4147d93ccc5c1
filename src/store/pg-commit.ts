import type pg from 'pg'
import { proposalRef } from '../model/ref.js'
import { sameEscalation, type WorkBatch } from '../model/store.js'
import { encodeJson } from './codec.js'
import { guardianColumns, json, proposalOf, toEscalation } from './rows.js'

// The work batch on PostgreSQL: every row of it in one transaction (the caller's), so a report,
// the alerts it causes and the cursor it advances commit together or not at all.

/** Now by the database's clock (ms): what decides leases and claims between replicas. */
export const DB_NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint'

const UPSERT_PROPOSAL = `
  INSERT INTO proposals (id, ref, chain_id, target_kind, target, key, origin, calls, fingerprint, status, level, first_seen, last_seen)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
  ON CONFLICT (id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, level = EXCLUDED.level,
    last_seen = EXCLUDED.last_seen, origin = EXCLUDED.origin, calls = EXCLUDED.calls,
    status = CASE WHEN proposals.status IN ('executed', 'failed') THEN proposals.status ELSE EXCLUDED.status END`

const UPSERT_ESCALATION = `
  INSERT INTO escalations (proposal_id, level, stage, round, next_at, status, started_at, updated_at, claimed_by)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
  ON CONFLICT (proposal_id) DO UPDATE SET level = EXCLUDED.level, stage = EXCLUDED.stage,
    round = EXCLUDED.round, next_at = EXCLUDED.next_at, status = EXCLUDED.status,
    started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at, claimed_by = NULL`

export async function writeBatch(
  c: pg.ClientBase,
  batch: WorkBatch,
  now: number,
  replica: string,
): Promise<{ reportIds: number[]; enqueued: number; applied: boolean }> {
  if (batch.ifEscalation) {
    // Locked until the commit, so an acknowledgement on another replica waits for this one.
    const { rows } = await c.query('SELECT * FROM escalations WHERE proposal_id = $1 FOR UPDATE', [
      batch.ifEscalation.proposalId,
    ])
    if (!sameEscalation(toEscalation(rows[0]), batch.ifEscalation))
      return { reportIds: [], enqueued: 0, applied: false }
  }
  if (batch.ifCursor) {
    const { source, chainId, value } = batch.ifCursor
    // An absent row cannot be locked: it is created empty (what absent means) and then locked, so
    // a second commit racing this one waits and then sees what this one wrote.
    await c.query(
      `INSERT INTO cursors (source, chain_id, value, updated_at) VALUES ($1, $2, '', $3)
       ON CONFLICT (source, chain_id) DO NOTHING`,
      [source, chainId, now],
    )
    const { rows } = await c.query(
      'SELECT value FROM cursors WHERE source = $1 AND chain_id = $2 FOR UPDATE',
      [source, chainId],
    )
    if ((rows[0]?.value ?? '') !== value) return { reportIds: [], enqueued: 0, applied: false }
  }
  for (const p of batch.proposals ?? [])
    await c.query(UPSERT_PROPOSAL, [
      p.id,
      proposalRef(p.id),
      p.chainId,
      p.target.kind,
      p.target.address,
      p.key,
      encodeJson(p.origin),
      encodeJson(p.calls),
      p.fingerprint,
      p.status,
      p.level,
      now,
    ])
  for (const s of batch.statuses ?? [])
    await c.query('UPDATE proposals SET status = $1, last_seen = $2 WHERE id = $3', [s.status, now, s.id])
  const reportIds: number[] = []
  for (const r of batch.reports ?? []) {
    const { rows } = await c.query(
      'INSERT INTO reports (proposal_id, fingerprint, level, score, created_at, json, alert) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
      [
        r.proposalId,
        r.fingerprint,
        r.level,
        r.score,
        now,
        json(r.json),
        r.alert === undefined ? null : json(r.alert),
      ],
    )
    const id = Number(rows[0]?.id)
    for (const f of r.findings)
      await c.query(
        'INSERT INTO findings (report_id, guard, code, severity, message, path) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, f.guard, f.code, f.severity, f.message, f.path ?? null],
      )
    await c.query('INSERT INTO verdicts (report_id, level, actions, decided_at) VALUES ($1, $2, $3, $4)', [
      id,
      r.level,
      json(batch.outbox?.map((o) => o.channel) ?? []),
      now,
    ])
    reportIds.push(id)
  }
  let enqueued = 0
  for (const o of batch.outbox ?? [])
    enqueued +=
      (
        await c.query(
          `INSERT INTO outbox (channel, dedup_key, payload, next_attempt_at, created_at, proposal_id)
           VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (channel, dedup_key) DO NOTHING`,
          [o.channel, o.dedupKey, json(o.payload), now, proposalOf(o.payload)],
        )
      ).rowCount ?? 0
  for (const x of batch.cursors ?? [])
    await c.query(
      `INSERT INTO cursors (source, chain_id, value, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (source, chain_id) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [x.source, x.chainId, x.value, now],
    )
  for (const e of batch.escalations ?? [])
    await c.query(UPSERT_ESCALATION, [
      e.proposalId,
      e.level,
      e.stage,
      e.round,
      e.nextAt,
      e.status,
      e.startedAt,
      now,
    ])
  for (const a of batch.acks ?? [])
    await c.query(
      'INSERT INTO acks (proposal_id, actor, signer, channel, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [a.proposalId, a.actor, a.signer, a.channel, now],
    )
  for (const v of batch.vetoRequests ?? [])
    await c.query(
      "INSERT INTO vetoes (proposal_id, kind, status, details, created_at) VALUES ($1, 'request', 'requested', $2, $3)",
      [v.proposalId, json({ actor: v.actor, signer: v.signer, channel: v.channel }), now],
    )
  for (const g of batch.guardian ?? [])
    await c.query(
      'INSERT INTO vetoes (proposal_id, kind, status, tx_hash, details, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [g.proposalId, ...guardianColumns(g), now],
    )
  for (const v of batch.vetoes ?? []) {
    await c.query(
      'INSERT INTO vetoes (proposal_id, kind, status, tx_hash, details, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        v.proposalId,
        v.kind,
        v.status,
        v.txHash ?? null,
        v.details === undefined ? null : json(v.details),
        now,
      ],
    )
    if (v.claim === undefined) continue
    // The outcome settles the claim it was made under: kept when custos acted, released otherwise.
    if (v.status === 'sent' || v.status === 'proposed' || v.status === 'dry-run')
      await c.query(
        "UPDATE veto_claims SET status = $1, updated_at = $2 WHERE proposal_id = $3 AND token = $4 AND status = 'acting'",
        [v.status, now, v.proposalId, v.claim],
      )
    else
      await c.query("DELETE FROM veto_claims WHERE proposal_id = $1 AND token = $2 AND status = 'acting'", [
        v.proposalId,
        v.claim,
      ])
  }
  for (const x of batch.silences ?? []) {
    if (x.until === null) await c.query('DELETE FROM silences WHERE target = $1', [x.target])
    else
      await c.query(
        `INSERT INTO silences (target, until, actor, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (target) DO UPDATE SET until = EXCLUDED.until, actor = EXCLUDED.actor, created_at = EXCLUDED.created_at`,
        [x.target, x.until, x.actor, now],
      )
  }
  for (const a of batch.audit ?? [])
    await c.query('INSERT INTO audit (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)', [
      now,
      a.actor,
      a.action,
      a.subject,
      a.details === undefined ? null : json(a.details),
    ])
  // A judgement's time is the database's: replicas compare them to know whose is newer.
  for (const v of batch.votes ?? [])
    await c.query(
      `INSERT INTO votes (proposal_id, replica, level, veto, second, at) VALUES ($1, $2, $3, $4, $5, ${DB_NOW})
       ON CONFLICT (proposal_id, replica) DO UPDATE SET level = EXCLUDED.level, veto = EXCLUDED.veto,
         second = EXCLUDED.second, at = EXCLUDED.at`,
      [v.proposalId, replica, v.level, v.veto, v.second ?? false],
    )
  return { reportIds, enqueued, applied: true }
}
