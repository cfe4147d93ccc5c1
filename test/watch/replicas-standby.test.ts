import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type LocalPostgres, startPostgres } from '../../src/lab/postgres.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// A replica standing by takes a Safe over when its leader dies. Its first poll must not wait for
// the transaction service's client to be made: loading api-kit alone took 0.6–2 s on the
// benchmark's busy machine, pushing the takeover past `store.leaseSeconds` (docs/benchmark.md).
// So every replica makes the clients of its Safes' chains as it starts, leader or not.

const made = vi.hoisted(() => ({ clients: 0 }))
vi.mock('../../src/sources/tx-service.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/sources/tx-service.js')>()
  return {
    ...original,
    createServiceClient: (...args: Parameters<typeof original.createServiceClient>) => {
      made.clients++
      return original.createServiceClient(...args)
    },
  }
})

let world: World
let db: LocalPostgres
beforeAll(async () => {
  ;[world, db] = await Promise.all([startWorld(), startPostgres()])
}, 60_000)
afterAll(async () => {
  await world?.stop()
  await db?.stop()
})

describe('a replica standing by', () => {
  it('has the transaction service client of its Safes before it leads them', {
    timeout: 60_000,
  }, async () => {
    const replica = async (name: string) =>
      startBot(
        world,
        {
          store: { driver: 'postgres', leaseSeconds: 3 },
          // The Safe's service is the one source: the leader keeps it, the other stands by.
          sources: { txService: { intervalSeconds: 1 }, chainEvents: { enabled: false } },
        },
        undefined,
        {},
        undefined,
        await openPostgresStore(db.url, { replicaId: name }),
      )
    const leader = await replica('leader')
    try {
      // It has polled the Safe's service once.
      await eventually(
        () => (leader.watcher.status().ready.includes(`tx-service:${world.lab.chainId}`) ? true : undefined),
        20_000,
        "the leader's first poll",
      )
      expect(leader.watcher.status().leads).toHaveLength(1)
      expect(made.clients).toBe(1)
      const standby = await replica('standby')
      try {
        expect(standby.watcher.status().leads).toEqual([])
        expect(made.clients).toBe(2)
      } finally {
        await standby.stop()
      }
    } finally {
      await leader.stop()
    }
  })
})
