import type Database from 'better-sqlite3'
import { migrateToTargets } from './migrate-targets.js'

// Versioned schema migrations, applied in order; PRAGMA user_version records how far a database
// has come. Never edit a released migration: add the next one. A step is SQL, or a function for
// what SQL alone cannot rebuild.
export const MIGRATIONS: ReadonlyArray<string | ((db: Database.Database) => void)> = [
  `
  CREATE TABLE cursors (
    source TEXT NOT NULL,
    chain_id INTEGER NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source, chain_id)
  );
  CREATE TABLE proposals (
    id TEXT PRIMARY KEY,
    chain_id INTEGER NOT NULL,
    safe TEXT NOT NULL,
    nonce TEXT NOT NULL,
    safe_tx_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    level TEXT,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  );
  CREATE INDEX proposals_by_safe ON proposals (chain_id, safe, status);
  CREATE INDEX proposals_by_hash ON proposals (chain_id, safe_tx_hash);
  CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    fingerprint TEXT NOT NULL,
    level TEXT NOT NULL,
    score INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    json TEXT NOT NULL
  );
  CREATE INDEX reports_by_proposal ON reports (proposal_id, id);
  CREATE TABLE findings (
    report_id INTEGER NOT NULL REFERENCES reports (id),
    guard TEXT NOT NULL,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    path TEXT
  );
  CREATE INDEX findings_by_report ON findings (report_id);
  CREATE TABLE verdicts (
    report_id INTEGER PRIMARY KEY REFERENCES reports (id),
    level TEXT NOT NULL,
    actions TEXT NOT NULL,
    decided_at INTEGER NOT NULL
  );
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    UNIQUE (channel, dedup_key)
  );
  CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
  CREATE TABLE acks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE TABLE vetoes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    tx_hash TEXT,
    details TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT
  );
  -- The audit log is append-only.
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  // 2: chat (issue 5): short proposal references for buttons, the messages each channel posted
  // (so they can be edited), interaction ids already handled, the escalation ladder's timers,
  // silences, and who acknowledged with which signer address.
  `
  ALTER TABLE proposals ADD COLUMN ref TEXT;
  ALTER TABLE reports ADD COLUMN alert TEXT;
  CREATE UNIQUE INDEX proposals_by_ref ON proposals (ref);
  ALTER TABLE acks ADD COLUMN signer TEXT;
  CREATE UNIQUE INDEX acks_once ON acks (proposal_id, signer);
  -- Rows about one proposal go out on each channel in the order they were queued: a resolve
  -- never overtakes the trigger it resolves, an update never the alert it redraws.
  ALTER TABLE outbox ADD COLUMN proposal_id TEXT;
  CREATE INDEX outbox_by_proposal ON outbox (channel, proposal_id, status, id);
  CREATE INDEX vetoes_by_proposal ON vetoes (proposal_id);
  CREATE TABLE messages (
    channel TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    proposal_id TEXT NOT NULL,
    ref TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (channel, dedup_key)
  );
  CREATE INDEX messages_by_proposal ON messages (proposal_id, channel);
  CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  );
  CREATE TABLE escalations (
    proposal_id TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    stage TEXT NOT NULL,
    round INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX escalations_due ON escalations (status, next_at);
  CREATE TABLE silences (
    target TEXT PRIMARY KEY,
    until INTEGER NOT NULL,
    actor TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // 3: a veto is single-flight (issue 12). One claim row per proposal, written before custos
  // acts and in the same transaction that counts the rate limits, which are per chain and
  // address; `acting` until the outcome settles it (sent, proposed, dry-run) or releases it
  // (the row goes). Vetoes recorded before this migration become claims, so nothing vetoed is
  // vetoed again.
  `
  CREATE TABLE veto_claims (
    proposal_id TEXT PRIMARY KEY,
    chain_id INTEGER NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    token TEXT NOT NULL,
    claimed_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX veto_claims_by_target ON veto_claims (chain_id, target, claimed_at);
  INSERT INTO veto_claims (proposal_id, chain_id, target, kind, status, token, claimed_at, updated_at)
    SELECT v.proposal_id, p.chain_id, lower(p.safe), v.kind, v.status, 'migrated', v.created_at, v.created_at
    FROM vetoes v JOIN proposals p ON p.id = v.proposal_id
    WHERE v.id = (SELECT w.id FROM vetoes w WHERE w.proposal_id = v.proposal_id
      AND w.kind IN ('auto', 'chat') AND w.status IN ('sent', 'proposed', 'dry-run')
      ORDER BY w.status = 'dry-run', w.id DESC LIMIT 1);
  `,
  // 4: one proposals table for every kind (typed target, key, origin and calls).
  migrateToTargets,
  // 5: every guard event custos reads looks up the guardian transaction it names by hash
  // (issue 15): an index, so that lookup does not scan every veto ever recorded.
  `
  CREATE INDEX vetoes_by_tx ON vetoes (tx_hash) WHERE tx_hash IS NOT NULL;
  `,
]
