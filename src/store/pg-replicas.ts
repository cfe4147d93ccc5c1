import type pg from 'pg'
import type { Level } from '../model/severity.js'
import type { Lease, Replica, ReplicaStore, Vote } from '../model/store.js'
import { DB_NOW } from './pg-commit.js'

// Replicas sharing one PostgreSQL database. Each renews a heartbeat row; each source has a lease
// row renewed by its leader; claims (outbox rows, ladder rows, veto attempts) name the replica
// that holds them and last as long as its heartbeat. Every time compared between replicas is the
// database's, so their own clocks may disagree.

/** Replicas whose heartbeat has not run out: their claims stand. */
export const ALIVE = `(SELECT id FROM replicas WHERE expires_at >= ${DB_NOW})`

export function pgReplicaStore(
  pool: pg.Pool,
  id: string,
  tx: <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>,
): ReplicaStore {
  return {
    id,
    async heartbeat(info, ttlMs) {
      await pool.query(
        `INSERT INTO replicas (id, host, pid, version, started_at, seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, ${DB_NOW}, ${DB_NOW} + $6)
         ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,
           seen_at = EXCLUDED.seen_at, expires_at = EXCLUDED.expires_at`,
        [id, info.host, info.pid, info.version, info.startedAt, ttlMs],
      )
      // Replicas gone for a day are forgotten.
      await pool.query(`DELETE FROM replicas WHERE expires_at < ${DB_NOW} - 86400000`)
    },
    lease: (keep, take, ttlMs) =>
      tx(async (c) => {
        // Rows are locked in name order, so two replicas never wait on each other in a circle.
        await c.query(
          `UPDATE leases SET expires_at = ${DB_NOW} + $3 WHERE name IN
             (SELECT name FROM leases WHERE holder = $1 AND name = ANY($2::text[]) ORDER BY name FOR UPDATE)`,
          [id, [...keep].sort(), ttlMs],
        )
        if (take.length)
          await c.query(
            `INSERT INTO leases (name, holder, acquired_at, expires_at)
             SELECT n, $1, ${DB_NOW}, ${DB_NOW} + $3 FROM unnest($2::text[]) AS n ORDER BY n
             ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at,
               expires_at = EXCLUDED.expires_at
             WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < EXCLUDED.acquired_at`,
            [id, [...take].sort(), ttlMs],
          )
        const { rows } = await c.query(
          `SELECT name FROM leases WHERE holder = $1 AND expires_at > ${DB_NOW} AND name = ANY($2::text[]) ORDER BY name`,
          [id, [...keep, ...take]],
        )
        return rows.map((r) => r.name as string)
      }),
    async release(names) {
      if (names.length)
        await pool.query('DELETE FROM leases WHERE holder = $1 AND name = ANY($2::text[])', [id, names])
    },
    leave: () =>
      tx(async (c) => {
        await c.query('DELETE FROM leases WHERE holder = $1', [id])
        await c.query('UPDATE outbox SET claimed_by = NULL WHERE claimed_by = $1', [id])
        await c.query('UPDATE escalations SET claimed_by = NULL WHERE claimed_by = $1', [id])
        await c.query(`UPDATE replicas SET expires_at = ${DB_NOW} - 1 WHERE id = $1`, [id])
      }),
    async replicas() {
      const { rows } = await pool.query(
        `SELECT *, expires_at >= ${DB_NOW} AS alive FROM replicas ORDER BY started_at, id`,
      )
      return rows.map(
        (r): Replica => ({
          id: r.id,
          host: r.host,
          pid: r.pid,
          version: r.version,
          startedAt: r.started_at,
          seenAt: r.seen_at,
          alive: r.alive,
        }),
      )
    },
    async leases() {
      const { rows } = await pool.query(
        `SELECT *, expires_at >= ${DB_NOW} AS active FROM leases ORDER BY name`,
      )
      return rows.map(
        (r): Lease => ({
          name: r.name,
          holder: r.holder,
          acquiredAt: r.acquired_at,
          expiresAt: r.expires_at,
          active: r.active,
        }),
      )
    },
    now: async () => Number((await pool.query(`SELECT ${DB_NOW} AS now`)).rows[0]?.now),
    async votes(proposalId) {
      const { rows } = await pool.query(
        'SELECT replica, level, veto, at FROM votes WHERE proposal_id = $1 ORDER BY at, replica',
        [proposalId],
      )
      return rows.map((r): Vote => ({ replica: r.replica, level: r.level as Level, veto: r.veto, at: r.at }))
    },
    async votesWanted(limit) {
      // A first-hand veto vote by another replica that this one has not judged since. Second
      // opinions ask for none, so two replicas never keep asking each other.
      const { rows } = await pool.query(
        `SELECT p.id FROM proposals p
         WHERE p.status = 'pending'
           AND EXISTS (SELECT 1 FROM votes v WHERE v.proposal_id = p.id AND v.veto AND NOT v.second
             AND v.replica <> $1
             AND NOT EXISTS (SELECT 1 FROM votes m WHERE m.proposal_id = p.id AND m.replica = $1 AND m.at >= v.at))
           AND NOT EXISTS (SELECT 1 FROM veto_claims c WHERE c.proposal_id = p.id AND c.status IN ('sent', 'proposed'))
         ORDER BY p.last_seen DESC LIMIT $2`,
        [id, limit],
      )
      return rows.map((r) => r.id as string)
    },
  }
}
