import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/schema.js'
import { type LocalPostgres, startPostgres } from '../../src/lab/postgres.js'
import { silentLogger } from '../../src/model/logger.js'
import type { Store } from '../../src/model/store.js'
import { assigned, type Cluster, createCluster } from '../../src/pipeline/cluster.js'
import { createMetrics } from '../../src/server/metrics.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { eventually } from '../helpers/watch-world.js'

// The leases of the sources, shared out by replicas on one PostgreSQL database: evenly, one
// holder per source, taken over within `store.leaseSeconds` when a holder dies.

let server: LocalPostgres
beforeAll(async () => {
  server = await startPostgres()
}, 60_000)
afterAll(() => server?.stop())

const LEASES = ['a', 'b', 'c', 'd', 'e', 'f']
const config = configSchema.parse({ store: { driver: 'postgres', leaseSeconds: 3 } })
let n = 0

async function replicas(count: number, url: string) {
  const acquired: string[][] = []
  const members: Array<{ store: Store; cluster: Cluster }> = []
  for (let i = 0; i < count; i++) {
    const store = await openPostgresStore(url, { replicaId: `r${i}` })
    const got: string[] = []
    acquired.push(got)
    const cluster = createCluster({
      ...{ store, config, logger: silentLogger, metrics: createMetrics(), version: 'test' },
      onAcquired: (lease) => void got.push(lease),
    })
    members.push({ store, cluster })
  }
  return { members, acquired }
}

/** Who holds what, once every lease has exactly one holder among `of`. */
async function settled(of: Cluster[], perHolder: number, leases = LEASES) {
  return eventually(
    () => {
      const held = of.map((c) => c.held())
      const all = held.flat().sort()
      return all.join() === leases.join() && held.every((h) => h.length === perHolder) ? held : undefined
    },
    20_000,
    'leases shared out',
  )
}

describe('leases of the sources among replicas', () => {
  it('shares the leases out evenly, one holder each, and hands a dead replica’s over within leaseSeconds', {
    timeout: 60_000,
  }, async () => {
    const url = await server.createDatabase(`c${n++}`)
    const { members, acquired } = await replicas(3, url)
    const [a, b, c] = members.map((m) => m.cluster) as [Cluster, Cluster, Cluster]
    // The first one alone takes everything; the others joining take their share from it.
    await a.start(LEASES, () => false)
    expect(a.held()).toEqual(LEASES)
    await b.start(LEASES, () => false)
    await c.start(LEASES, () => false)
    await settled([a, b, c], 2)
    // A source taken is run at once.
    expect(acquired[1]?.length).toBeGreaterThanOrEqual(2)

    // c dies: no goodbye, its connections just go.
    const dead = c.held()
    await members[2]?.store.close()
    const t0 = Date.now()
    // When its leases run out, on the database's clock (the same host's): c renews no more.
    const rows = (await members[0]?.store.replicas?.leases()) ?? []
    const expiry = Math.max(...rows.filter((l) => l.holder === 'r2').map((l) => l.expiresAt))
    // Its last renewal was before t0 and is valid for 4/5 of the lease, ...
    expect(expiry - t0).toBeLessThanOrEqual(config.store.leaseSeconds * 800)
    // ... and the others take every one of them at their next round (1/5), each the ones handed
    // to it (the next test holds them to that). Measured from the expiry (the time c's last
    // renewal had left is not the machine's to lose), with two rounds of slack here.
    await eventually(
      () => (dead.every((l) => a.held().includes(l) || b.held().includes(l)) ? true : undefined),
      20_000,
      'the dead replica’s leases taken',
    )
    expect(Date.now() - expiry).toBeLessThanOrEqual(config.store.leaseSeconds * 600)
    // Shared out evenly again.
    const after = await settled([a, b], 3)
    expect(after.flat()).toEqual(expect.arrayContaining(dead))
    // By its own clock, the dead one no longer thinks it leads.
    expect(dead.some((l) => c.leads(l))).toBe(false)
    await c.stop()
    await a.stop()
    // A replica that leaves gives its leases back at once: b takes them at its next round.
    await eventually(() => (b.held().length === LEASES.length ? true : undefined), 2000, 'b takes all')
    await b.stop()
    for (const m of members.slice(0, 2)) await m.store.close()
  })

  it('splits a dead replica’s many leases between the survivors: each taken at their first round past its expiry', {
    timeout: 60_000,
  }, async () => {
    const many = Array.from({ length: 60 }, (_, i) => `s${String(i).padStart(2, '0')}`)
    const url = await server.createDatabase(`c${n++}`)
    const { members } = await replicas(3, url)
    const [a, b, c] = members.map((m) => m.cluster) as [Cluster, Cluster, Cluster]
    // Each survivor's first round whose reading of the leases found the dead one's run out: what
    // that round left it holding, and when it ended.
    let dead: string[] = []
    const first: Array<{ held: string[]; at: number } | undefined> = [undefined, undefined]
    for (const i of [0, 1]) {
      const store = members[i]?.store.replicas
      if (!store) throw new Error('no replica store')
      const { leases, lease } = store
      let pastExpiry = false
      store.leases = async () => {
        const rows = await leases()
        pastExpiry = dead.length > 0 && !rows.some((l) => l.active && l.holder === 'r2')
        return rows
      }
      store.lease = async (keep, take, ttlMs) => {
        const held = await lease(keep, take, ttlMs)
        if (pastExpiry && !first[i]) first[i] = { held, at: Date.now() }
        return held
      }
    }
    // a and b start together, so their rounds come at the same moments: both read the same free
    // leases before either takes any, the case where two replicas reach for the same ones.
    await Promise.all([a.start(many, () => false), b.start(many, () => false)])
    await c.start(many, () => false)
    await settled([a, b, c], 20, many)

    dead = c.held()
    expect(dead).toHaveLength(20)
    await members[2]?.store.close()
    const rows = (await members[0]?.store.replicas?.leases()) ?? []
    const expiry = Math.max(...rows.filter((l) => l.holder === 'r2').map((l) => l.expiresAt))
    const [ra, rb] = await eventually(
      () => (first[0] && first[1] ? [first[0], first[1]] : undefined),
      20_000,
      'a round of each survivor past the dead one’s expiry',
    )
    // Every one of the 20 was taken by one survivor or the other at that first round: none was
    // left free because both reached for it (it would wait for a later round).
    const taken = new Set([...ra.held, ...rb.held])
    expect(dead.filter((l) => !taken.has(l))).toEqual([])
    // So within one round (1/5 of the lease) of the expiry, on the database's clock, with slack of
    // one more round for timers and the round's own four queries on a loaded machine (the
    // assertion above is the one that tells a collision).
    expect(Math.max(ra.at, rb.at) - expiry).toBeLessThanOrEqual(config.store.leaseSeconds * 400 + 400)
    const after = await settled([a, b], 30, many)
    expect(after.flat()).toEqual(expect.arrayContaining(dead))
    await c.stop()
    await a.stop()
    await b.stop()
    for (const m of members.slice(0, 2)) await m.store.close()
  })

  it('lets a replica below its share take the leases handed to one that is alive but takes none', async () => {
    const url = await server.createDatabase(`c${n++}`)
    const { members } = await replicas(2, url)
    const [stuck, b] = members.map((m) => m.cluster) as [Cluster, Cluster]
    // r0 renews its heartbeat but never takes a lease (it sorts first, so it is handed the first
    // of the free leases every round).
    const store = members[0]?.store.replicas
    if (!store) throw new Error('no replica store')
    const { lease } = store
    store.lease = (keep, _take, ttlMs) => lease(keep, [], ttlMs)
    const five = LEASES.slice(0, 5)
    await stuck.start(five, () => false)
    await b.start(five, () => false)
    // b is handed 'd' and 'e' (r0 the first three, up to its share of 3), then takes one of
    // those r0 left free for a round: b has its share, the other two wait for a live taker.
    const held = await eventually(
      () => (b.held().length === 3 ? b.held() : undefined),
      20_000,
      'b at its share',
    )
    expect(held).toEqual(expect.arrayContaining(['d', 'e']))
    expect(stuck.held()).toEqual([])
    await stuck.stop()
    await b.stop()
    for (const m of members) await m.store.close()
  })

  it('leads everything, alone, on SQLite', async () => {
    const store = openSqliteStore(':memory:')
    const cluster = createCluster({
      ...{ store, config: configSchema.parse({}), logger: silentLogger, metrics: createMetrics() },
      version: 'test',
      onAcquired: () => {},
    })
    await cluster.start(LEASES, () => false)
    expect(cluster.replicated).toBe(false)
    expect(cluster.held()).toEqual(LEASES)
    expect(cluster.leads('anything')).toBe(true)
    await cluster.stop()
    await store.close()
  })

  it.each([
    // Two survivors of 30 each with 20 free: 10 each, in order of id, whoever reads.
    { me: 'r1', counts: { r0: 20, r1: 20 }, share: 30, free: 20, want: [10, 20] },
    { me: 'r0', counts: { r0: 20, r1: 20 }, share: 30, free: 20, want: [0, 10] },
    // Above its share (it gives back this round), a replica is handed none and holds up nobody.
    { me: 'r2', counts: { r0: 4, r1: 1, r2: 0 }, share: 2, free: 3, want: [1, 3] },
    // The free ones run out before this replica's turn.
    { me: 'r2', counts: { r0: 0, r1: 0, r2: 0 }, share: 2, free: 3, want: [3, 3] },
    // Not among the live replicas (its heartbeat has not been read yet): nothing.
    { me: 'r9', counts: { r0: 0 }, share: 2, free: 3, want: [0, 0] },
  ])('hands $me the free leases $want.0 to $want.1', ({ me, counts, share, free, want }) => {
    const names = Array.from({ length: free }, (_, i) => `s${i}`)
    const live = Object.keys(counts).reverse()
    expect(assigned(names, live, new Map(Object.entries(counts)), share, me)).toEqual(names.slice(...want))
  })
})
