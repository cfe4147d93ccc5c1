import type Database from 'better-sqlite3'
import { type Address, getAddress, type Hash, type Hex } from 'viem'
import type { Call, Origin } from '../model/proposal.js'
import type { SafeTx } from '../model/safe.js'
import { encodeJson } from './codec.js'

// Migration 3: one proposals table for every kind. Before it, governance proposals lived in the
// Safe-shaped columns (`safe` held the governor, `nonce` the proposal id, `safe_tx_hash` the
// operation id) and their calls could only be read back out of report JSON. Each row gets its
// typed target, key, origin and calls, rebuilt from the row and its latest report.

type OldRow = { id: string; safe: string; nonce: string; safe_tx_hash: string }
type ReportJson = {
  safe?: { version?: string }
  transaction?: Record<string, string | number>
  hashes?: { safeTxHash?: string }
  governance?: {
    flavor?: string
    description?: string
    proposer?: string
    createdBlock?: string
    voteStart?: string
    voteEnd?: string
    eta?: string
  }
  calls?: Array<{ calls?: Array<{ to: string; value: string; data: string; operation?: string }> }>
}

export function migrateToTargets(db: Database.Database) {
  db.exec(`
    ALTER TABLE proposals ADD COLUMN target_kind TEXT NOT NULL DEFAULT 'safe';
    ALTER TABLE proposals ADD COLUMN target TEXT NOT NULL DEFAULT '';
    ALTER TABLE proposals ADD COLUMN key TEXT NOT NULL DEFAULT '';
    ALTER TABLE proposals ADD COLUMN origin TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE proposals ADD COLUMN calls TEXT NOT NULL DEFAULT '[]';
  `)
  const rows = db.prepare('SELECT id, safe, nonce, safe_tx_hash FROM proposals').all() as OldRow[]
  const latest = db.prepare('SELECT json FROM reports WHERE proposal_id = ? ORDER BY id DESC LIMIT 1')
  const update = db.prepare(
    'UPDATE proposals SET target_kind = ?, target = ?, key = ?, origin = ?, calls = ? WHERE id = ?',
  )
  for (const row of rows) {
    const text = (latest.get(row.id) as { json: string } | undefined)?.json
    const report = text ? (JSON.parse(text) as ReportJson) : {}
    const { kind, key, origin, calls } = convert(row, report)
    update.run(
      kind,
      origin.kind === 'safe' ? origin.safe : row.safe,
      key,
      encodeJson(origin),
      encodeJson(calls),
      row.id,
    )
  }
  db.exec(`
    DROP INDEX IF EXISTS proposals_by_safe;
    DROP INDEX IF EXISTS proposals_by_hash;
    ALTER TABLE proposals DROP COLUMN safe;
    ALTER TABLE proposals DROP COLUMN nonce;
    ALTER TABLE proposals DROP COLUMN safe_tx_hash;
    CREATE INDEX proposals_by_target ON proposals (chain_id, target, status);
  `)
}

const big = (v: unknown) => {
  try {
    return BigInt(String(v ?? 0))
  } catch {
    return 0n
  }
}
const addr = (v: unknown): Address => {
  try {
    return getAddress(String(v))
  } catch {
    return '0x0000000000000000000000000000000000000000'
  }
}

function callsOf(report: ReportJson): Call[] {
  return (report.calls?.[0]?.calls ?? []).map((c) => ({
    to: addr(c.to),
    value: big(c.value),
    data: c.data as Hex,
    operation: c.operation === 'delegatecall' ? 'delegatecall' : 'call',
  }))
}

function convert(
  row: OldRow,
  report: ReportJson,
): { kind: Origin['kind']; key: string; origin: Origin; calls: Call[] } {
  const [, kind] = row.id.split(':')
  const g = report.governance ?? {}
  if (kind === 'governor') {
    const origin: Origin = {
      kind: 'governor',
      governor: addr(row.safe),
      proposalId: big(row.nonce),
      flavor: g.flavor === 'bravo' ? 'bravo' : 'oz',
      description: g.description ?? '',
      ...(g.proposer ? { proposer: addr(g.proposer) } : {}),
      createdBlock: big(g.createdBlock),
      voteEnd: big(g.voteEnd),
    }
    return { kind: 'governor', key: big(row.nonce).toString(), origin, calls: callsOf(report) }
  }
  if (kind === 'timelock') {
    const origin: Origin = {
      kind: 'timelock',
      timelock: addr(row.safe),
      operationId: row.safe_tx_hash as Hash,
      eta: big(g.eta),
      createdBlock: big(g.createdBlock),
    }
    return { kind: 'timelock', key: row.safe_tx_hash, origin, calls: callsOf(report) }
  }
  const t = report.transaction ?? {}
  const tx: SafeTx = {
    safe: addr(row.safe),
    to: addr(t.to),
    value: big(t.value),
    data: (t.data as Hex | undefined) ?? '0x',
    operation: Number(t.operation) === 1 ? 1 : 0,
    safeTxGas: big(t.safeTxGas),
    baseGas: big(t.baseGas),
    gasPrice: big(t.gasPrice),
    gasToken: addr(t.gasToken),
    refundReceiver: addr(t.refundReceiver),
    nonce: big(row.nonce),
  }
  const origin: Origin = {
    kind: 'safe',
    safe: addr(row.safe),
    safeTxHash: row.safe_tx_hash as Hash,
    nonce: big(row.nonce),
    version: report.safe?.version ?? 'unknown',
    tx,
    // Confirmations were never stored: the next poll brings them back.
    confirmations: [],
  }
  const calls: Call[] = [
    { to: tx.to, value: tx.value, data: tx.data, operation: tx.operation === 1 ? 'delegatecall' : 'call' },
  ]
  return { kind: 'safe', key: big(row.nonce).toString(), origin, calls }
}
