import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { getAddress, zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import { proposalRef } from '../../src/model/ref.js'
import type { StoredProposal, WorkBatch } from '../../src/model/store.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { openSqliteStore } from '../../src/store/sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'custos-store-'))
let n = 0
const fresh = () => join(dir, `db-${n++}.sqlite`)
const SAFE = '0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe' as const
const proposal = (id: string, nonce = 1n): Omit<StoredProposal, 'firstSeen' | 'lastSeen' | 'ref'> => ({
  id,
  chainId: 1,
  target: { kind: 'safe', address: SAFE },
  key: nonce.toString(),
  origin: {
    kind: 'safe',
    safe: SAFE,
    safeTxHash: `0x${id.padStart(64, '0')}`,
    nonce,
    version: '1.4.1',
    tx: {
      safe: SAFE,
      to: SAFE,
      value: 10n ** 30n,
      data: '0x',
      operation: 0,
      safeTxGas: 0n,
      baseGas: 0n,
      gasPrice: 0n,
      gasToken: zeroAddress,
      refundReceiver: zeroAddress,
      nonce,
    },
    confirmations: [],
  },
  calls: [{ to: SAFE, value: 10n ** 30n, data: '0x', operation: 'call' }],
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
    // The typed origin and calls come back exactly (bigints included), not as strings.
    const back = await store.getProposal('a')
    expect(back?.key).toBe('1')
    expect(back?.origin).toEqual(proposal('a').origin)
    expect(back?.calls[0]?.value).toBe(10n ** 30n)
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
    expect(
      (await b.proposalsOf(1, SAFE.toUpperCase().replace('0X', '0x'), 'pending')).map((p) => p.id),
    ).toEqual(['p'])
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

describe('one proposals table for every kind', () => {
  it("orders a target's proposals by their key as numbers, however large", async () => {
    const store = openSqliteStore(fresh())
    await store.commit({
      proposals: [proposal('a', 10n), proposal('b', 9n), proposal('c', 2n ** 70n), proposal('d', 100n)],
    })
    expect((await store.proposalsOf(1, SAFE)).map((p) => p.key)).toEqual([
      '9',
      '10',
      '100',
      (2n ** 70n).toString(),
    ])
  })

  it('finds a proposal by its id, the hash its id ends in, or a governor proposal id', async () => {
    const store = openSqliteStore(fresh())
    const hash = `0x${'ab'.repeat(32)}`
    const gov = '0x1111111111111111111111111111111111111111' as const
    await store.commit({
      proposals: [
        { ...proposal('x'), id: `1:safe:${hash}` },
        {
          ...proposal('y'),
          id: `1:governor:${gov}:42`,
          target: { kind: 'governor', address: gov },
          key: '42',
          origin: {
            kind: 'governor',
            governor: gov,
            proposalId: 42n,
            flavor: 'oz',
            description: 'd',
            createdBlock: 5n,
            voteEnd: 9n,
          },
          calls: [],
        },
      ],
    })
    expect((await store.lookupProposals(hash.toUpperCase().replace('0X', '0x'))).map((p) => p.id)).toEqual([
      `1:safe:${hash}`,
    ])
    expect((await store.lookupProposals('42')).map((p) => p.id)).toEqual([`1:governor:${gov}:42`])
    expect((await store.lookupProposals(`1:governor:${gov}:42`))[0]?.origin).toMatchObject({
      kind: 'governor',
      proposalId: 42n,
    })
    expect(await store.lookupProposals('43')).toEqual([])
  })

  it('converts a database written by the Safe-shaped schema: targets, keys, origins and calls', async () => {
    const path = fresh()
    const old = new Database(path)
    for (const m of MIGRATIONS.slice(0, 2)) old.exec(m as string)
    old.pragma('user_version = 2')
    const gov = '0x1111111111111111111111111111111111111111'
    const tl = '0x2222222222222222222222222222222222222222'
    const op = `0x${'cd'.repeat(32)}`
    const hash = `0x${'ab'.repeat(32)}`
    const insert = old.prepare(
      'INSERT INTO proposals (id, ref, chain_id, safe, nonce, safe_tx_hash, fingerprint, status, level, first_seen, last_seen) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, 1, 1)',
    )
    const report = old.prepare(
      "INSERT INTO reports (proposal_id, fingerprint, level, score, created_at, json) VALUES (?, 'f', 'high', 50, 1, ?)",
    )
    insert.run(`1:safe:${hash}`, 'r1', SAFE, '3', hash, 'f', 'pending', 'high')
    report.run(
      `1:safe:${hash}`,
      JSON.stringify({
        safe: { version: '1.4.1' },
        transaction: {
          to: gov,
          value: '5',
          data: '0x1234',
          operation: 1,
          safeTxGas: '0',
          baseGas: '0',
          gasPrice: '0',
          gasToken: zeroAddress,
          refundReceiver: zeroAddress,
          nonce: '3',
        },
      }),
    )
    insert.run(`1:governor:${gov}:77`, 'r2', gov, '77', '', 'f', 'pending', 'critical')
    report.run(
      `1:governor:${gov}:77`,
      JSON.stringify({
        governance: { flavor: 'bravo', description: 'drain', createdBlock: '12', voteEnd: '30' },
        calls: [{ calls: [{ to: tl, value: '1000', data: '0xa9059cbb', operation: 'call' }] }],
      }),
    )
    insert.run(`1:timelock:${tl}:${op}`, 'r3', tl, '0', op, 'f', 'executed', 'medium')
    old.close()

    const store = openSqliteStore(path)
    const safe = await store.getProposal(`1:safe:${hash}`)
    expect(safe).toMatchObject({
      target: { kind: 'safe', address: getAddress(SAFE) },
      key: '3',
      status: 'pending',
    })
    expect(safe?.origin).toMatchObject({
      kind: 'safe',
      nonce: 3n,
      version: '1.4.1',
      tx: { value: 5n, operation: 1 },
    })
    expect(safe?.calls).toEqual([
      {
        to: '0x1111111111111111111111111111111111111111',
        value: 5n,
        data: '0x1234',
        operation: 'delegatecall',
      },
    ])
    const governor = await store.getProposal(`1:governor:${gov}:77`)
    expect(governor).toMatchObject({ target: { kind: 'governor' }, key: '77' })
    expect(governor?.origin).toMatchObject({
      kind: 'governor',
      proposalId: 77n,
      flavor: 'bravo',
      description: 'drain',
      createdBlock: 12n,
    })
    expect(governor?.calls).toEqual([
      {
        to: '0x2222222222222222222222222222222222222222',
        value: 1000n,
        data: '0xa9059cbb',
        operation: 'call',
      },
    ])
    const timelock = await store.getProposal(`1:timelock:${tl}:${op}`)
    expect(timelock).toMatchObject({ target: { kind: 'timelock' }, key: op, status: 'executed' })
    expect(timelock?.origin).toMatchObject({ kind: 'timelock', operationId: op })
    expect((await store.proposalsOf(1, gov)).map((p) => p.id)).toEqual([`1:governor:${gov}:77`])
    await store.close()
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
