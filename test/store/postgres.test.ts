import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalPostgres, postgresBinDir, startPostgres } from '../../src/lab/postgres.js'
import type { ReplicaStore, Store } from '../../src/model/store.js'
import { PG_MIGRATIONS } from '../../src/store/pg-schema.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { eventually } from '../helpers/watch-world.js'
import { proposal, storeContract } from './contract.js'

// The store's contract on a real PostgreSQL server (started here, on a loopback port, in a
// temporary directory), then what only a store shared by replicas does.

let server: LocalPostgres
beforeAll(async () => {
  server = await startPostgres()
}, 60_000)
afterAll(() => server?.stop())

let n = 0
const freshDb = () => server.createDatabase(`t${n++}`)
const info = { host: 'test', pid: 1, version: 'test', startedAt: 0 }
const replicasOf = (s: Store) => s.replicas as ReplicaStore

/** A store that is a live replica (its claims stand while its heartbeat does). */
async function replica(url: string, clock?: () => number, ttlMs = 60_000, replicaId?: string) {
  const store = await openPostgresStore(url, {
    ...(clock ? { clock } : {}),
    ...(replicaId ? { replicaId } : {}),
  })
  await replicasOf(store).heartbeat(info, ttlMs)
  return store
}

/** A replica dies: its heartbeat runs out now (what a SIGKILL leads to, without the wait). */
const die = (url: string, id: string) => sql(url, `UPDATE replicas SET expires_at = 0 WHERE id = '${id}'`)

async function sql(url: string, text: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows
  } finally {
    await client.end()
  }
}

storeContract('PostgreSQL', async (clock) => {
  const url = await freshDb()
  return {
    store: await replica(url, clock),
    reopen: (c) => replica(url, c),
    exec: async (text) => void (await sql(url, text)),
  }
})

describe('PostgreSQL store', () => {
  it('fails, naming what to install, when the server binaries are not where it is told', () => {
    const empty = mkdtempSync(join(tmpdir(), 'custos-nopg-'))
    expect(() => postgresBinDir({ CUSTOS_PG_BINDIR: empty })).toThrow(
      new RegExp(`CUSTOS_PG_BINDIR=${empty} holds no PostgreSQL server .*apt-get install postgresql`),
    )
    expect(postgresBinDir({})).toMatch(/bin$/)
  })

  it('records its schema version, migrates once when replicas start together, refuses a newer one', async () => {
    const url = await freshDb()
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(url)))
    expect(await sql(url, 'SELECT version FROM custos_schema')).toEqual([{ version: PG_MIGRATIONS.length }])
    for (const s of stores) await s.close()
    await sql(url, 'UPDATE custos_schema SET version = 99')
    await expect(openPostgresStore(url)).rejects.toThrow(/newer custos \(schema 99/)
  })

  it('finds a guardian transaction by its hash through an index, not a scan of every veto', async () => {
    const url = await freshDb()
    await (await openPostgresStore(url)).close()
    // The table is empty, where a scan is cheapest: forbid scans to see whether the index serves.
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query('SET enable_seqscan = off')
      const plan = await client.query(
        "EXPLAIN SELECT proposal_id FROM vetoes WHERE kind = 'guardian' AND tx_hash = $1 ORDER BY id",
        ['0xab'],
      )
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('; ')).toMatch(/vetoes_by_tx/)
    } finally {
      await client.end()
    }
  })

  it('lets one of two replicas racing to start the same episode start it (the cursor locked even while absent)', async () => {
    const url = await freshDb()
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)])
      const source = `drift-episode:race-${round}`
      const start = (episode: string) => ({
        cursors: [{ source, chainId: 1, value: episode }],
        outbox: [{ channel: 'hook', dedupKey: `${source}:${episode}`, payload: { title: 'drift' } }],
        ifCursor: { source, chainId: 1, value: '' },
      })
      const results = await Promise.all([a.commit(start('a')), b.commit(start('b'))])
      expect(results.map((r) => r.applied).sort()).toEqual([false, true])
      expect(await a.getCursor(source, 1)).toBe(results[0]?.applied ? 'a' : 'b')
      await Promise.all([a.close(), b.close()])
    }
  })

  it('forbids truncating the audit log', async () => {
    const url = await freshDb()
    const store = await openPostgresStore(url)
    await store.audit({ actor: 'custos', action: 'x', subject: 'y' })
    await expect(sql(url, 'TRUNCATE audit')).rejects.toThrow(/append-only/)
    await store.close()
  })
})

describe('replicas on one PostgreSQL database', () => {
  it('gives a lease to one replica, renews it for its holder, and lets another take it once it runs out', async () => {
    const url = await freshDb()
    const a = await replica(url, undefined, 60_000, 'a')
    const b = await replica(url, undefined, 60_000, 'b')
    const [ra, rb] = [replicasOf(a), replicasOf(b)]
    // Times are read on the database's clock: a loaded machine may run the calls below late.
    const ttl = 2000
    const both = await Promise.all([ra.lease([], ['s1', 's2'], ttl), rb.lease([], ['s1', 's2'], ttl)])
    // Each source has exactly one holder.
    expect([...both[0], ...both[1]].sort()).toEqual(['s1', 's2'])
    const [holder, other] = both[0].includes('s1') ? [ra, rb] : [rb, ra]
    const first = (await ra.leases()).find((l) => l.name === 's1')?.expiresAt ?? 0
    // Renewed in time, the holder keeps it past its first expiry; the other cannot take it.
    await new Promise((r) => setTimeout(r, ttl / 2))
    expect(await holder.lease(['s1'], [], ttl)).toEqual(['s1'])
    await eventually(async () => ((await ra.now()) > first ? true : undefined), 10_000, 'the first expiry')
    expect(await other.lease([], ['s1'], ttl)).toEqual([])
    // Not renewed: it runs out and the other takes it.
    await eventually(
      async () => ((await other.lease([], ['s1'], ttl)).length ? true : undefined),
      10_000,
      'the lease run out',
    )
    expect(await holder.lease(['s1'], [], ttl)).toEqual([])
    expect((await ra.leases()).find((l) => l.name === 's1')?.holder).toBe(other.id)
    // Released, it is free at once.
    await other.release(['s1'])
    expect(await holder.lease([], ['s1'], 400)).toEqual(['s1'])
    for (const s of [a, b]) await s.close()
  })

  it('lists replicas, alive while their heartbeat lasts; one that leaves gives up its leases at once', async () => {
    const url = await freshDb()
    const a = await replica(url, undefined, 60_000, 'a')
    // Long enough to be seen alive first on a loaded machine; then it runs out by itself.
    const b = await replica(url, undefined, 2000, 'b')
    await replicasOf(a).lease([], ['x'], 60_000)
    expect((await replicasOf(a).replicas()).map((r) => [r.id, r.alive])).toEqual([
      ['a', true],
      ['b', true],
    ])
    await eventually(async () => (await replicasOf(a).replicas()).find((r) => r.id === 'b')?.alive === false)
    await replicasOf(a).leave()
    expect(await replicasOf(b).lease([], ['x'], 60_000)).toEqual(['x'])
    expect((await replicasOf(b).replicas()).find((r) => r.id === 'a')?.alive).toBe(false)
    for (const s of [a, b]) await s.close()
  })

  it('sends each outbox row through one replica; a dead replica’s rows go to another', async () => {
    const url = await freshDb()
    const a = await replica(url, () => 1000, 60_000, 'a')
    const b = await replica(url, () => 1000, 60_000, 'b')
    await a.commit({
      outbox: Array.from({ length: 40 }, (_, i) => ({ channel: 'w', dedupKey: `k${i}`, payload: { i } })),
    })
    // Both ask at once: every row goes to exactly one of them.
    const [ra, rb] = await Promise.all([a.dueOutbox(1000, 25), b.dueOutbox(1000, 25)])
    const ids = [...ra, ...rb].map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(40)
    expect(ra.length).toBeGreaterThan(0)
    // Asked again, each gets what it holds, never the other's.
    const [again, againB] = [await b.dueOutbox(1000, 100), await a.dueOutbox(1000, 100)]
    expect(again.map((r) => r.id).sort()).toEqual(rb.map((r) => r.id).sort())
    expect(againB.map((r) => r.id).sort()).toEqual(ra.map((r) => r.id).sort())
    // A row another live replica holds is not this one's to send.
    const [first] = ra
    expect(await b.claimOutbox(first?.id as number)).toBe(false)
    expect(await a.claimOutbox(first?.id as number)).toBe(true)
    // a dies (its heartbeat runs out): b takes what a held and never marked.
    await die(url, 'a')
    expect((await b.dueOutbox(1000, 100)).length).toBe(40)
    expect(await b.claimOutbox(first?.id as number)).toBe(true)
    for (const s of [a, b]) await s.close()
  })

  it('climbs each due ladder through one replica', async () => {
    const url = await freshDb()
    const a = await replica(url, () => 5000, 60_000, 'a')
    const b = await replica(url, () => 5000, 60_000, 'b')
    await a.commit({
      proposals: Array.from({ length: 10 }, (_, i) => proposal(`p${i}`)),
      escalations: Array.from({ length: 10 }, (_, i) => ({
        proposalId: `p${i}`,
        level: 'high' as const,
        stage: 'posted' as const,
        round: 1,
        nextAt: 1000 + i,
        status: 'open' as const,
        startedAt: 1000,
      })),
    })
    const [ea, eb] = await Promise.all([a.dueEscalations(5000, 10), b.dueEscalations(5000, 10)])
    const ids = [...ea, ...eb].map((e) => e.proposalId).sort()
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`).sort())
    // Committing the next rung ends the claim: the row is anyone's when it is due again.
    const [e] = ea.length ? ea : eb
    const holder = ea.length ? a : b
    const other = ea.length ? b : a
    await holder.commit({ escalations: [{ ...(e as NonNullable<typeof e>), nextAt: 4000 }] })
    expect((await other.dueEscalations(5000, 10)).map((x) => x.proposalId)).toEqual([e?.proposalId])
    for (const s of [a, b]) await s.close()
  })

  it('takes over a veto claim left acting by a replica whose heartbeat ran out', async () => {
    const url = await freshDb()
    const a = await replica(url, undefined, 60_000, 'a')
    const b = await replica(url, undefined, 60_000, 'b')
    const ask = (s: Store) =>
      s.claimVeto({ proposalId: 'p1', chainId: 1, target: '0x01', kind: 'auto', dryRun: false })
    expect((await ask(a)).granted).toBe(true)
    expect(await ask(b)).toEqual({ granted: false, reason: 'acting' })
    await die(url, 'a')
    expect((await ask(b)).granted).toBe(true)
    for (const s of [a, b]) await s.close()
  })

  it('keeps each replica’s latest judgement, and asks the others for a second opinion on a veto', async () => {
    const url = await freshDb()
    const a = await replica(url, undefined, 60_000, 'a')
    const b = await replica(url, undefined, 60_000, 'b')
    await a.commit({
      proposals: [proposal('p1'), proposal('p2')],
      votes: [
        { proposalId: 'p1', level: 'critical', veto: true },
        { proposalId: 'p2', level: 'high', veto: false },
      ],
    })
    expect(await replicasOf(b).votesWanted(10)).toEqual(['p1'])
    expect(await replicasOf(a).votesWanted(10)).toEqual([])
    await b.commit({ votes: [{ proposalId: 'p1', level: 'critical', veto: true, second: true }] })
    expect((await replicasOf(a).votes('p1')).map((v) => [v.replica, v.veto])).toEqual([
      ['a', true],
      ['b', true],
    ])
    // A second opinion asks nobody for another.
    expect(await replicasOf(a).votesWanted(10)).toEqual([])
    expect(await replicasOf(b).votesWanted(10)).toEqual([])
    // A fresh first-hand judgement does (the proposal changed).
    await new Promise((r) => setTimeout(r, 5))
    await a.commit({ votes: [{ proposalId: 'p1', level: 'critical', veto: true }] })
    expect(await replicasOf(b).votesWanted(10)).toEqual(['p1'])
    for (const s of [a, b]) await s.close()
  })
})
