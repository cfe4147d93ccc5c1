import type pg from 'pg'

// The PostgreSQL schema, as versioned migrations: `custos_schema.version` records how far a
// database has come. Never edit a released migration: add the next one. It starts where the
// SQLite schema is after its own migrations (one proposals table, veto claims) and adds what
// replicas need. Keys are text ordered by length then bytes (COLLATE "C"), as in SQLite: a nonce
// or proposal id (decimal, up to 78 digits) sorts as a number, exactly; times are ms (BIGINT).

const APPEND_ONLY = `
CREATE FUNCTION custos_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION custos_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_append_only();
`

export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE cursors (
    source TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (source, chain_id)
  );
  CREATE TABLE proposals (
    id TEXT PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    chain_id BIGINT NOT NULL,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    origin TEXT NOT NULL,
    calls TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    level TEXT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
  );
  CREATE INDEX proposals_by_target ON proposals (chain_id, lower(target), status);
  CREATE INDEX proposals_by_status ON proposals (status, last_seen);
  CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    fingerprint TEXT NOT NULL,
    level TEXT NOT NULL,
    score INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    json TEXT NOT NULL,
    alert TEXT
  );
  CREATE INDEX reports_by_proposal ON reports (proposal_id, id);
  CREATE TABLE findings (
    report_id BIGINT NOT NULL REFERENCES reports (id),
    guard TEXT NOT NULL,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    path TEXT
  );
  CREATE INDEX findings_by_report ON findings (report_id);
  CREATE TABLE verdicts (
    report_id BIGINT PRIMARY KEY REFERENCES reports (id),
    level TEXT NOT NULL,
    actions TEXT NOT NULL,
    decided_at BIGINT NOT NULL
  );
  -- claimed_by: the replica sending the row now (its claim lasts while its heartbeat does).
  CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    channel TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    proposal_id TEXT,
    claimed_by TEXT,
    UNIQUE (channel, dedup_key)
  );
  CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
  CREATE INDEX outbox_by_proposal ON outbox (channel, proposal_id, status, id);
  CREATE TABLE acks (
    id BIGSERIAL PRIMARY KEY,
    proposal_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    signer TEXT,
    channel TEXT NOT NULL,
    at BIGINT NOT NULL
  );
  CREATE UNIQUE INDEX acks_once ON acks (proposal_id, signer);
  CREATE TABLE vetoes (
    id BIGSERIAL PRIMARY KEY,
    proposal_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    tx_hash TEXT,
    details TEXT,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX vetoes_by_proposal ON vetoes (proposal_id);
  CREATE TABLE veto_claims (
    proposal_id TEXT PRIMARY KEY,
    chain_id BIGINT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    token TEXT NOT NULL,
    holder TEXT,
    claimed_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX veto_claims_by_target ON veto_claims (chain_id, target, claimed_at);
  CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT
  );
  ${APPEND_ONLY}
  CREATE TABLE messages (
    channel TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    proposal_id TEXT NOT NULL,
    ref TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel, dedup_key)
  );
  CREATE INDEX messages_by_proposal ON messages (proposal_id, channel);
  CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL
  );
  CREATE TABLE escalations (
    proposal_id TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    stage TEXT NOT NULL,
    round INTEGER NOT NULL,
    next_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    claimed_by TEXT
  );
  CREATE INDEX escalations_due ON escalations (status, next_at);
  CREATE TABLE silences (
    target TEXT PRIMARY KEY,
    until BIGINT NOT NULL,
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  -- Replicas: each one's heartbeat, the leases of the sources, and their judgements (quorum).
  CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    version TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE TABLE votes (
    proposal_id TEXT NOT NULL,
    replica TEXT NOT NULL,
    level TEXT NOT NULL,
    veto BOOLEAN NOT NULL,
    second BOOLEAN NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, replica)
  );
  `,
  // 2: every guard event custos reads looks up the guardian transaction it names by hash
  // (issue 15): an index, so that lookup does not scan every veto ever recorded.
  `
  CREATE INDEX vetoes_by_tx ON vetoes (tx_hash) WHERE tx_hash IS NOT NULL;
  `,
]

// Any constant: replicas starting together migrate one at a time.
const MIGRATION_LOCK = 0x637573746f73 // "custos"

/** Brings the database's schema up to date, in one transaction (all steps or none). */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query('CREATE TABLE IF NOT EXISTS custos_schema (version INTEGER NOT NULL)')
    const row = (await client.query('SELECT version FROM custos_schema')).rows[0] as
      | { version: number }
      | undefined
    if (!row) await client.query('INSERT INTO custos_schema (version) VALUES (0)')
    const current = row?.version ?? 0
    if (current > PG_MIGRATIONS.length)
      throw new Error(
        `the store was written by a newer custos (schema ${current}, this one knows ${PG_MIGRATIONS.length})`,
      )
    for (let v = current; v < PG_MIGRATIONS.length; v++) {
      await client.query(PG_MIGRATIONS[v] as string)
      await client.query('UPDATE custos_schema SET version = $1', [v + 1])
    }
    await client.query('COMMIT')
  } catch (error) {
    // A rollback that fails (the connection broke): the error thrown below says why.
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
