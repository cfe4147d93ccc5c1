import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import pg from 'pg'
import type {
  Escalation,
  PostedMessage,
  SignerAction,
  Store,
  StoredProposal,
  VetoClaim,
  VetoClaimRequest,
  VetoStatus,
} from '../model/store.js'
import { VETO_LEASE_MS } from '../model/store.js'
import { writeBatch } from './pg-commit.js'
import { ALIVE, pgReplicaStore } from './pg-replicas.js'
import { migratePostgres } from './pg-schema.js'
import { json, toEscalation, toGuardianRecord, toOutbox, toProposal, toReport } from './rows.js'

// The store on PostgreSQL, for replicas: the same contract as the SQLite store, with claims that
// let several `custos run` processes share the work (see pg-replicas.ts).

export type PostgresStoreOptions = {
  clock?: () => number
  /** This process's id in leases and claims, unique to it (default `host-pid-random`). */
  replicaId?: string
  poolSize?: number
  /** An idle connection failed (the server restarted, say); the next query reconnects. */
  onError?: (error: Error) => void
}

/** Ids, times and counts are BIGINT: read back as numbers (they are far below 2^53). */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

// Veto claims are counted and written one at a time, across every replica.
const VETO_LOCK = 0x7665746f // "veto"

export const defaultReplicaId = () => `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`

/** Connects to `url`, migrates the schema, and returns the store. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const clock = options.clock ?? Date.now
  const me = options.replicaId ?? defaultReplicaId()
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types })
  pool.on('error', (e) => options.onError?.(e))
  const tx = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect()
    try {
      await c.query('BEGIN')
      const result = await fn(c)
      await c.query('COMMIT')
      c.release()
      return result
    } catch (error) {
      // A rollback that fails (the connection broke): the error thrown below says why.
      await c.query('ROLLBACK').catch(() => {})
      // A connection that failed mid-transaction is not handed out again.
      c.release(error instanceof Error ? error : true)
      throw error
    }
  }
  const rows = async (text: string, values: unknown[] = []) =>
    (await pool.query(text, values)).rows as Record<string, unknown>[]
  const proposals = async (text: string, values: unknown[]) =>
    (await rows(text, values)).map((r) => toProposal(r) as StoredProposal)
  try {
    await migratePostgres(pool)
  } catch (error) {
    await pool.end()
    throw error
  }

  const countClaims = async (since: number, except: string, target?: { chainId: number; address: string }) =>
    Number(
      (
        await rows(
          `SELECT count(*) AS n FROM veto_claims WHERE claimed_at >= $1 AND proposal_id <> $2
           AND ($3::bigint IS NULL OR (chain_id = $3 AND target = $4))`,
          [since, except, target?.chainId ?? null, target?.address.toLowerCase() ?? null],
        )
      )[0]?.n ?? 0,
    )

  const claimVeto = (r: VetoClaimRequest): Promise<VetoClaim> =>
    tx(async (c) => {
      const now = clock()
      await c.query('SELECT pg_advisory_xact_lock($1)', [VETO_LOCK])
      const held = (
        await c.query(
          `SELECT status, updated_at, (holder IS NULL OR holder IN ${ALIVE}) AS alive
           FROM veto_claims WHERE proposal_id = $1`,
          [r.proposalId],
        )
      ).rows[0] as { status: string; updated_at: number; alive: boolean } | undefined
      // An attempt still acting holds, unless its replica died (it never settles it then).
      if (held?.status === 'acting' && held.alive && held.updated_at > now - VETO_LEASE_MS)
        return { granted: false, reason: 'acting' }
      if (held?.status === 'sent' || held?.status === 'proposed' || (held?.status === 'dry-run' && r.dryRun))
        return { granted: false, reason: 'done', status: held.status }
      if (r.limits) {
        const perTarget = await countClaims(r.limits.since, r.proposalId, {
          chainId: r.chainId,
          address: r.target,
        })
        const total = await countClaims(r.limits.since, r.proposalId)
        if (perTarget >= r.limits.perTarget || total >= r.limits.total)
          return { granted: false, reason: 'rate-limited', perTarget, total }
      }
      const token = randomUUID()
      await c.query(
        `INSERT INTO veto_claims (proposal_id, chain_id, target, kind, status, token, holder, claimed_at, updated_at)
         VALUES ($1, $2, $3, $4, 'acting', $5, $6, $7, $7)
         ON CONFLICT (proposal_id) DO UPDATE SET chain_id = EXCLUDED.chain_id, target = EXCLUDED.target,
           kind = EXCLUDED.kind, status = 'acting', token = EXCLUDED.token, holder = EXCLUDED.holder,
           claimed_at = EXCLUDED.claimed_at, updated_at = EXCLUDED.updated_at`,
        [r.proposalId, r.chainId, r.target.toLowerCase(), r.kind, token, me, now],
      )
      return { granted: true, token }
    })

  return {
    commit: (batch) => tx((c) => writeBatch(c, batch, clock(), me)),
    claimVeto,
    getCursor: async (source, chainId) =>
      (await rows('SELECT value FROM cursors WHERE source = $1 AND chain_id = $2', [source, chainId]))[0]
        ?.value as string | undefined,
    getProposal: async (id) => toProposal((await rows('SELECT * FROM proposals WHERE id = $1', [id]))[0]),
    proposalsOf: (chainId, target, status) =>
      proposals(
        `SELECT * FROM proposals WHERE chain_id = $1 AND lower(target) = lower($2)
         AND ($3::text IS NULL OR status = $3) ORDER BY length(key), key, id`,
        [chainId, target, status ?? null],
      ),
    lookupProposals: (text) =>
      proposals(
        `SELECT * FROM proposals WHERE id = $1 OR id LIKE '%:' || lower($1)
         OR (target_kind = 'governor' AND key = $1) ORDER BY last_seen DESC LIMIT 20`,
        [text.trim()],
      ),
    getReport: async (id) => toReport((await rows('SELECT * FROM reports WHERE id = $1', [id]))[0]),
    latestReport: async (proposalId) =>
      toReport(
        (
          await rows('SELECT * FROM reports WHERE proposal_id = $1 ORDER BY id DESC LIMIT 1', [proposalId])
        )[0],
      ),
    firstReport: async (proposalId) =>
      toReport(
        (await rows('SELECT * FROM reports WHERE proposal_id = $1 ORDER BY id ASC LIMIT 1', [proposalId]))[0],
      ),
    // Due rows are claimed for this replica: another skips them (SKIP LOCKED while the claim is
    // written, the claim after), until this replica marks them or its heartbeat runs out.
    dueOutbox: async (now, limit) =>
      (
        await rows(
          `UPDATE outbox SET claimed_by = $3 WHERE id IN (
             SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= $1
               AND (o.claimed_by IS NULL OR o.claimed_by = $3 OR o.claimed_by NOT IN ${ALIVE})
               AND (o.proposal_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel
                 AND p.proposal_id = o.proposal_id AND p.status = 'pending' AND p.id < o.id))
             ORDER BY o.next_attempt_at, o.id LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING *`,
          [now, limit, me],
        )
      )
        .map(toOutbox)
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id),
    claimOutbox: async (id) =>
      (
        await pool.query(
          `UPDATE outbox SET claimed_by = $2 WHERE id = $1 AND status = 'pending'
           AND (claimed_by IS NULL OR claimed_by = $2 OR claimed_by NOT IN ${ALIVE})`,
          [id, me],
        )
      ).rowCount === 1,
    markSent: (id, at, message) =>
      tx(async (c) => {
        const { rows: sent } = await c.query(
          `UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL,
             claimed_by = NULL WHERE id = $2 RETURNING channel, dedup_key`,
          [at, id],
        )
        const row = sent[0] as { channel: string; dedup_key: string } | undefined
        if (message && row)
          await c.query(
            `INSERT INTO messages (channel, dedup_key, proposal_id, ref, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (channel, dedup_key) DO UPDATE SET ref = EXCLUDED.ref`,
            [row.channel, row.dedup_key, message.proposalId, message.ref, at],
          )
      }),
    markRetry: async (id, at, error) =>
      void (await pool.query(
        'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, claimed_by = NULL WHERE id = $3',
        [at, error.slice(0, 1000), id],
      )),
    markDead: async (id, error) =>
      void (await pool.query(
        "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $1, claimed_by = NULL WHERE id = $2",
        [error.slice(0, 1000), id],
      )),
    outboxDepth: async () =>
      Number((await rows("SELECT count(*) AS n FROM outbox WHERE status = 'pending'"))[0]?.n ?? 0),
    proposalByRef: async (ref) =>
      toProposal((await rows('SELECT * FROM proposals WHERE ref = $1', [ref]))[0]),
    channelsFor: async (proposalId) =>
      (
        await rows('SELECT DISTINCT channel FROM outbox WHERE proposal_id = $1 ORDER BY channel', [
          proposalId,
        ])
      ).map((r) => r.channel as string),
    pendingProposals: (limit) =>
      proposals("SELECT * FROM proposals WHERE status = 'pending' ORDER BY last_seen DESC LIMIT $1", [limit]),
    cursors: async () =>
      (await rows('SELECT * FROM cursors ORDER BY source, chain_id')).map((r) => ({
        source: r.source as string,
        chainId: r.chain_id as number,
        value: r.value as string,
        updatedAt: r.updated_at as number,
      })),
    claimInteraction: async (id) =>
      (
        await pool.query('INSERT INTO interactions (id, at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
          id,
          clock(),
        ])
      ).rowCount === 1,
    acksFor: async (proposalId) =>
      (await rows('SELECT * FROM acks WHERE proposal_id = $1 ORDER BY id', [proposalId])).map(
        (r): SignerAction => ({
          proposalId,
          actor: r.actor as string,
          signer: (r.signer as string | null) ?? '',
          channel: r.channel as string,
          at: r.at as number,
        }),
      ),
    vetoRequestsFor: async (proposalId) =>
      (
        await rows("SELECT * FROM vetoes WHERE proposal_id = $1 AND kind = 'request' ORDER BY id", [
          proposalId,
        ])
      ).map((r): SignerAction => {
        const d = JSON.parse((r.details as string | null) ?? '{}') as Partial<SignerAction>
        return {
          proposalId,
          actor: d.actor ?? '',
          signer: d.signer ?? '',
          channel: d.channel ?? '',
          at: r.created_at as number,
        }
      }),
    getEscalation: async (proposalId) =>
      toEscalation((await rows('SELECT * FROM escalations WHERE proposal_id = $1', [proposalId]))[0]),
    // The ladder's due rows are claimed as the outbox's are: one replica climbs each.
    dueEscalations: async (now, limit) =>
      (
        await rows(
          `UPDATE escalations SET claimed_by = $3 WHERE proposal_id IN (
             SELECT proposal_id FROM escalations WHERE status = 'open' AND next_at <= $1
               AND (claimed_by IS NULL OR claimed_by = $3 OR claimed_by NOT IN ${ALIVE})
             ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING *`,
          [now, limit, me],
        )
      )
        .map((r) => toEscalation(r) as Escalation)
        .sort((a, b) => a.nextAt - b.nextAt),
    guardianActions: async (of) =>
      (
        await rows(
          `SELECT proposal_id, status, tx_hash, details, created_at FROM vetoes
           WHERE kind = 'guardian' AND ${'txHash' in of ? 'tx_hash' : 'proposal_id'} = $1 ORDER BY id`,
          ['txHash' in of ? of.txHash.toLowerCase() : of.proposalId],
        )
      ).map(toGuardianRecord),
    vetoOutcomes: async (proposalId) =>
      (
        await rows(
          "SELECT status FROM vetoes WHERE proposal_id = $1 AND kind IN ('auto', 'chat') ORDER BY id",
          [proposalId],
        )
      ).map((r) => r.status as VetoStatus),
    vetoesSince: (since, target) => countClaims(since, '', target),
    activeSilences: async (now) =>
      (await rows('SELECT * FROM silences WHERE until > $1 ORDER BY target', [now])).map((r) => ({
        target: r.target as string,
        until: r.until as number,
        actor: r.actor as string,
        createdAt: r.created_at as number,
      })),
    messagesFor: async (proposalId, channel) =>
      (
        await rows(
          `SELECT m.channel, m.dedup_key, m.ref, o.payload FROM messages m
           JOIN outbox o ON o.channel = m.channel AND o.dedup_key = m.dedup_key
           WHERE m.proposal_id = $1 AND m.channel = $2 ORDER BY m.created_at, o.id`,
          [proposalId, channel],
        )
      ).map(
        (r): PostedMessage => ({
          channel: r.channel as string,
          dedupKey: r.dedup_key as string,
          ref: r.ref as string,
          payload: JSON.parse(r.payload as string),
        }),
      ),
    audit: async (a) =>
      void (await pool.query(
        'INSERT INTO audit (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)',
        [clock(), a.actor, a.action, a.subject, a.details === undefined ? null : json(a.details)],
      )),
    auditLog: async (limit) =>
      (await rows('SELECT * FROM audit ORDER BY id DESC LIMIT $1', [limit])).map((r) => ({
        id: r.id as number,
        at: r.at as number,
        actor: r.actor as string,
        action: r.action as string,
        subject: r.subject as string,
        details: r.details === null ? undefined : JSON.parse(r.details as string),
      })),
    replicas: pgReplicaStore(pool, me, tx),
    close: () => pool.end(),
  }
}
