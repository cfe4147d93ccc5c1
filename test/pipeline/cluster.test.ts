import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/schema.js'
import { type LocalPostgres, startPostgres } from '../../src/lab/postgres.js'
import { silentLogger } from '../../src/model/logger.js'
import type { Store } from '../../src/model/store.js'
import { type Cluster, createCluster } from '../../src/pipeline/cluster.js'
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
async function settled(of: Cluster[], perHolder: number) {
  return eventually(
    () => {
      const held = of.map((c) => c.held())
      const all = held.flat().sort()
      return all.join() === LEASES.join() && held.every((h) => h.length === perHolder) ? held : undefined
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
    // ... and the others take every one of them at their next round (1/5), or the one after when
    // both reached for the same one (each takes its share of the free ones, picked at random).
    // Measured from the expiry (the time c's last renewal had left is not the machine's to lose),
    // with one more round of slack for the rounds' own queries on a loaded machine.
    await eventually(
      () => (dead.every((l) => a.held().includes(l) || b.held().includes(l)) ? true : undefined),
      20_000,
      'the dead replica’s leases taken',
    )
    expect(Date.now() - expiry).toBeLessThanOrEqual(config.store.leaseSeconds * 600)
    // Shared out evenly again (two replicas reaching for the same lease may take a round more).
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
})
