import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { proposalRef } from '../../src/model/ref.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import type { WorkBatch } from '../../src/store/types.js'

const dir = mkdtempSync(join(tmpdir(), 'custos-store-'))
let n = 0
const fresh = () => join(dir, `db-${n++}.sqlite`)
const proposal = (id: string, nonce = 1n) => ({
  id,
  chainId: 1,
  safe: '0xSafe',
  nonce,
  safeTxHash: `0x${id}`,
  fingerprint: 'f1',
  status: 'pending' as const,
  level: 'high' as const,
})

describe('SQLite store', () => {
  it('creates the schema in WAL mode and records its version', async () => {
    const path = fresh()
    await (await openSqliteStore(path)).close()
    const db = new Database(path)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length)
    db.close()
  })

  it('migrates a database written by the first schema, giving its proposals a reference', async () => {
    const path = fresh()
    const old = new Database(path)
    old.exec(MIGRATIONS[0] as string)
    old.pragma('user_version = 1')
    old
      .prepare(
        "INSERT INTO proposals (id, chain_id, safe, nonce, safe_tx_hash, fingerprint, status, level, first_seen, last_seen) VALUES ('1:safe:0xab', 1, '0xSafe', '3', '0xab', 'f', 'pending', 'high', 1, 1)",
      )
      .run()
    old.close()
    const store = openSqliteStore(path)
    expect((await store.getProposal('1:safe:0xab'))?.ref).toBe(proposalRef('1:safe:0xab'))
    expect((await store.proposalByRef(proposalRef('1:safe:0xab')))?.id).toBe('1:safe:0xab')
    await store.close()
  })

  it('delivers the rows about one proposal on one channel in the order they were queued', async () => {
    let now = 1000
    const store = openSqliteStore(fresh(), () => now)
    const row = (key: string, proposalId?: string) => ({
      channel: 'pagerduty',
      dedupKey: key,
      payload: proposalId ? { proposalId } : {},
    })
    await store.commit({ outbox: [row('p1:trigger', 'p1'), row('p2:trigger', 'p2'), row('health')] })
    const [trigger] = await store.dueOutbox(now, 10)
    await store.markRetry(trigger?.id as number, now + 60_000, 'HTTP 503') // the trigger backs off
    await store.commit({ outbox: [row('p1:resolve', 'p1')] })
    // The resolve waits for its trigger; other proposals and rows without one are not held up.
    expect((await store.dueOutbox(now, 10)).map((r) => r.dedupKey)).toEqual(['p2:trigger', 'health'])
    now += 60_000
    expect((await store.dueOutbox(now, 10)).map((r) => r.dedupKey)).toEqual([
      'p2:trigger',
      'health',
      'p1:trigger',
    ])
    await store.markSent(trigger?.id as number, now)
    expect((await store.dueOutbox(now, 10)).map((r) => r.dedupKey)).toContain('p1:resolve')
    expect(await store.channelsFor('p1')).toEqual(['pagerduty'])
    await store.close()
  })

  it('records chat state: interactions once, acknowledgements, veto requests, messages, silences, ladders', async () => {
    let now = 1000
    const store = openSqliteStore(fresh(), () => now)
    await store.commit({
      proposals: [proposal('p1')],
      outbox: [{ channel: 'discord', dedupKey: 'p1:high', payload: { title: 't' } }],
      acks: [{ proposalId: 'p1', actor: 'alice via discord:1', signer: '0xA', channel: 'discord' }],
      vetoRequests: [{ proposalId: 'p1', actor: 'bob via discord:2', signer: '0xB', channel: 'discord' }],
      silences: [{ target: '1:0xsafe', until: 5000, actor: 'alice' }],
      escalations: [
        {
          proposalId: 'p1',
          level: 'high',
          stage: 'posted',
          round: 1,
          nextAt: 2000,
          status: 'open',
          startedAt: 1000,
        },
      ],
    })
    expect(await store.claimInteraction('discord:42')).toBe(true)
    expect(await store.claimInteraction('discord:42')).toBe(false)
    expect((await store.acksFor('p1')).map((a) => a.signer)).toEqual(['0xA'])
    expect((await store.vetoRequestsFor('p1')).map((a) => a.actor)).toEqual(['bob via discord:2'])
    const [row] = await store.dueOutbox(now, 10)
    await store.markSent(row?.id as number, now, { proposalId: 'p1', ref: '9:10' })
    expect(await store.messagesFor('p1', 'discord')).toEqual([
      { channel: 'discord', dedupKey: 'p1:high', ref: '9:10', payload: { title: 't' } },
    ])
    expect(await store.dueEscalations(now, 10)).toEqual([])
    now = 2000
    expect((await store.dueEscalations(now, 10)).map((e) => e.proposalId)).toEqual(['p1'])
    expect((await store.activeSilences(now)).map((x) => x.target)).toEqual(['1:0xsafe'])
    now = 5000
    expect(await store.activeSilences(now)).toEqual([])
    await store.commit({ silences: [{ target: '1:0xsafe', until: null, actor: 'alice' }] })
    expect(await store.activeSilences(0)).toEqual([])
    await store.close()
  })

  it('commits a report, its alerts and the cursor together', async () => {
    const store = openSqliteStore(fresh())
    const batch: WorkBatch = {
      proposals: [proposal('a')],
      reports: [
        {
          proposalId: 'a',
          fingerprint: 'f1',
          level: 'high',
          score: 60,
          findings: [{ guard: 'g', code: 'c', severity: 'high', message: 'm' }],
          json: { big: 10n },
        },
      ],
      outbox: [{ channel: 'console', dedupKey: 'a:high', payload: { title: 'x' } }],
      cursors: [{ source: 'chain-events', chainId: 1, value: '100' }],
    }
    expect(await store.commit(batch)).toEqual({ reportIds: [1], enqueued: 1 })
    expect(await store.getCursor('chain-events', 1)).toBe('100')
    expect(await store.latestReport('a')).toMatchObject({ id: 1, level: 'high', json: { big: '10' } })
    expect((await store.getProposal('a'))?.nonce).toBe(1n)
    expect(await store.outboxDepth()).toBe(1)
  })

  it('rolls the whole batch back when any part fails: no cursor moves without its alerts', async () => {
    const store = openSqliteStore(fresh())
    await expect(
      store.commit({
        outbox: [{ channel: 'console', dedupKey: 'k', payload: {} }],
        cursors: [{ source: 'chain-events', chainId: 1, value: '200' }],
        reports: [
          { proposalId: 'missing', fingerprint: 'f', level: 'low', score: 1, findings: [], json: {} },
        ],
      }),
    ).rejects.toThrow(/FOREIGN KEY/)
    expect(await store.getCursor('chain-events', 1)).toBeUndefined()
    expect(await store.outboxDepth()).toBe(0)
  })

  it('enqueues an alert once per channel and dedup key', async () => {
    const store = openSqliteStore(fresh())
    const alert = { channel: 'webhook', dedupKey: 'p1:critical', payload: { n: 1 } }
    expect((await store.commit({ outbox: [alert, { ...alert, channel: 'console' }] })).enqueued).toBe(2)
    expect((await store.commit({ outbox: [alert] })).enqueued).toBe(0)
  })

  it('moves outbox rows through retry, sent and dead', async () => {
    let now = 1000
    const store = openSqliteStore(fresh(), () => now)
    await store.commit({
      outbox: ['a', 'b', 'c'].map((k) => ({ channel: 'w', dedupKey: k, payload: { k } })),
    })
    const due = await store.dueOutbox(now, 10)
    expect(due.map((r) => r.dedupKey)).toEqual(['a', 'b', 'c'])
    await store.markSent(due[0]?.id as number, now)
    await store.markRetry(due[1]?.id as number, now + 5000, 'HTTP 503')
    await store.markDead(due[2]?.id as number, 'gave up')
    expect(await store.dueOutbox(now, 10)).toEqual([])
    now += 5000
    expect(await store.dueOutbox(now, 10)).toMatchObject([
      { dedupKey: 'b', attempts: 1, lastError: 'HTTP 503' },
    ])
    expect(await store.outboxDepth()).toBe(1)
  })

  it('keeps what was committed across a reopen', async () => {
    const path = fresh()
    const a = openSqliteStore(path)
    await a.commit({ proposals: [proposal('p', 7n)], cursors: [{ source: 's', chainId: 5, value: '42' }] })
    await a.close()
    const b = openSqliteStore(path)
    expect(await b.getCursor('s', 5)).toBe('42')
    expect((await b.findProposalByHash(1, '0xP'))?.id).toBe('p')
    expect((await b.proposalsBySafe(1, '0xSafe', 'pending')).map((p) => p.id)).toEqual(['p'])
  })

  it('keeps the audit log append-only', async () => {
    const path = fresh()
    const store = openSqliteStore(path)
    await store.audit({ actor: 'custos', action: 'alert', subject: 'p1', details: { level: 'high' } })
    expect(await store.auditLog(10)).toMatchObject([
      { actor: 'custos', action: 'alert', subject: 'p1', details: { level: 'high' } },
    ])
    const db = new Database(path)
    expect(() => db.prepare("UPDATE audit SET actor = 'mallory'").run()).toThrow(/append-only/)
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/)
    db.close()
  })

  it('refuses a database from a newer custos', async () => {
    const path = fresh()
    const db = new Database(path)
    db.pragma('user_version = 99')
    db.close()
    expect(() => openSqliteStore(path)).toThrow(/newer custos \(schema 99/)
  })
})

describe('proposal status', () => {
  it('is never downgraded by an upsert from an older view, only by an explicit status', async () => {
    const store = openSqliteStore(fresh())
    await store.commit({ proposals: [proposal('x')] })
    await store.commit({ statuses: [{ id: 'x', status: 'executed' }] })
    await store.commit({ proposals: [{ ...proposal('x'), fingerprint: 'f2' }] })
    expect(await store.getProposal('x')).toMatchObject({ status: 'executed', fingerprint: 'f2' })
    await store.commit({ proposals: [proposal('x')], statuses: [{ id: 'x', status: 'pending' }] })
    expect((await store.getProposal('x'))?.status).toBe('pending')
  })
})
