import { hostname } from 'node:os'
import type { Config } from '../config/schema.js'
import type { Logger } from '../model/logger.js'
import { errorText } from '../model/redact.js'
import type { ReplicaStore, Store } from '../model/store.js'
import type { Metrics } from '../server/metrics.js'

// Who runs what when several `custos run` processes share one PostgreSQL store. Each source
// (the transaction service of one Safe, one chain's Safe events, one chain's governance events…)
// has one leader at a time, through a lease row in the database: the leader renews it every
// fifth of `store.leaseSeconds`; when it stops (killed, cut off from the database) the lease
// runs out and another replica takes the source over, from the cursor its leader committed.
// Leases are shared out evenly: a replica takes free ones up to its share of the live replicas
// and gives back what is above it, so simulations spread over the replicas' own forks. Which
// free ones each takes is worked out the same way by all (`assigned`), so that the survivors of
// a dead replica split its leases at their next rounds instead of reaching for the same ones.
// On SQLite there is one process, and it leads everything.

export type Cluster = {
  /** This replica's id (in leases, claims, votes, /readyz and /metrics). */
  id: string
  /** Several replicas share the store (PostgreSQL). */
  replicated: boolean
  /** Whether this replica runs `lease` now. */
  leads(lease: string): boolean
  /** The leases it holds now. */
  held(): string[]
  /** Takes its share of `leases` (waiting for the first round), then keeps renewing. */
  start(leases: string[], busy: (lease: string) => boolean): Promise<void>
  /** Leaves: its leases and claims are free for the others at once. */
  stop(): Promise<void>
}

export type ClusterDeps = {
  store: Store
  config: Config
  logger: Logger
  metrics: Metrics
  version: string
  /** A lease this replica just took: its source should run now, not at its next tick. */
  onAcquired(lease: string): void
  /** Monotonic ms (`performance.now` by default). */
  now?: () => number
}

export function createCluster(deps: ClusterDeps): Cluster {
  const replicas = deps.store.replicas
  if (!replicas) return soloCluster(deps)
  return replicaCluster(deps, replicas)
}

function soloCluster(deps: ClusterDeps): Cluster {
  const id = `${hostname()}-${process.pid}`
  let all: string[] = []
  deps.metrics.replica.set({ replica: id }, 1)
  return {
    id,
    replicated: false,
    leads: () => true,
    held: () => all,
    async start(leases) {
      all = leases
      for (const l of leases) deps.metrics.leads.set({ source: l }, 1)
    },
    stop: async () => {},
  }
}

function replicaCluster(deps: ClusterDeps, replicas: ReplicaStore): Cluster {
  const { logger, metrics } = deps
  const now = deps.now ?? (() => performance.now())
  const leaseMs = deps.config.store.leaseSeconds * 1000
  // Renewed every fifth of the lease and valid for four fifths: a dead leader's lease runs out
  // and is taken within one lease time of its death.
  const tickMs = leaseMs / 5
  const ttlMs = leaseMs - tickMs
  const info = { host: hostname(), pid: process.pid, version: deps.version, startedAt: Date.now() }
  let names: string[] = []
  let busy: (lease: string) => boolean = () => false
  let held = new Set<string>()
  // The free leases at this replica's last round.
  let wasFree = new Set<string>()
  // The leader stops leading by its own clock a little before the database would give the lease
  // away, in case it cannot renew (it lost the database, or this process stalled).
  let validUntil = 0
  let timer: NodeJS.Timeout | undefined
  let round: Promise<void> | undefined
  let stopped = false
  metrics.replica.set({ replica: replicas.id }, 1)

  async function tick() {
    const started = now()
    await replicas.heartbeat(info, ttlMs)
    const live = new Set([
      replicas.id,
      ...(await replicas.replicas()).filter((r) => r.alive).map((r) => r.id),
    ])
    const share = Math.ceil(names.length / live.size)
    let keep = names.filter((n) => held.has(n))
    if (keep.length > share) {
      // A replica joined: give back what is above this one's share (never a source mid-run).
      const excess = keep.filter((n) => !busy(n)).slice(0, keep.length - share)
      if (excess.length) {
        await replicas.release(excess)
        logger.info({ replica: replicas.id, released: excess }, 'gave sources back to other replicas')
        keep = keep.filter((n) => !excess.includes(n))
      }
    }
    const known = new Set(names)
    const active = (await replicas.leases()).filter((l) => l.active && known.has(l.name))
    const notFree = new Set([...keep, ...active.map((l) => l.name)])
    const free = names.filter((n) => !notFree.has(n))
    const counts = new Map<string, number>([[replicas.id, keep.length]])
    for (const l of active)
      if (l.holder !== replicas.id && live.has(l.holder))
        counts.set(l.holder, (counts.get(l.holder) ?? 0) + 1)
    const mine = assigned(free, [...live], counts, share, replicas.id)
    // A lease already free at this replica's last round was not taken by the one it was handed
    // to (alive by its heartbeat but taking nothing, or it read other rows): anyone below its
    // share may take it now, picked at random so that they seldom reach for the same one.
    const stale = shuffle(free.filter((n) => wasFree.has(n) && !mine.includes(n)))
    wasFree = new Set(free)
    const take = [...mine, ...stale].slice(0, Math.max(0, share - keep.length))
    const now_ = new Set(await replicas.lease(keep, take, ttlMs))
    validUntil = started + ttlMs - tickMs / 2
    const gained = [...now_].filter((n) => !held.has(n))
    const lost = [...held].filter((n) => !now_.has(n) && keep.includes(n))
    held = now_
    for (const n of names) metrics.leads.set({ source: n }, held.has(n) ? 1 : 0)
    if (gained.length) logger.info({ replica: replicas.id, leads: gained }, 'leading sources')
    if (lost.length) logger.warn({ replica: replicas.id, lost }, 'lost the lease of sources')
    for (const n of gained) deps.onAcquired(n)
  }

  const run = () => {
    if (round || stopped) return
    round = tick()
      .catch((error) =>
        logger.warn({ replica: replicas.id, error: errorText(error) }, 'could not renew leases; will retry'),
      )
      .finally(() => {
        round = undefined
      })
  }

  return {
    id: replicas.id,
    replicated: true,
    leads: (lease) => held.has(lease) && now() < validUntil,
    held: () => (now() < validUntil ? [...held].sort() : []),
    async start(leases, isBusy) {
      names = [...leases].sort()
      busy = isBusy
      wasFree = new Set()
      stopped = false
      run()
      await round
      timer = setInterval(run, tickMs)
    },
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      await round
      held = new Set()
      for (const n of names) metrics.leads.set({ source: n }, 0)
      await replicas
        .leave()
        .catch((error) => logger.warn({ error: errorText(error) }, 'could not give the leases back'))
    },
  }
}

/**
 * The free leases handed to replica `me`: the live replicas in order of id, each given the next
 * `share - count` of the free leases (in order of name), `count` being how many it holds now.
 * Every replica reading the same rows hands out the same leases, so when one dies its survivors
 * split its leases at their next rounds instead of reaching for the same ones at random (a
 * quarter of them left for a later round, on average, when two survivors read the rows before
 * either took any). Rows that differ between two replicas' readings (one took leases in between)
 * lose nothing: the database still gives each lease to one holder, and the other waits a round.
 * Leases of holders that are no longer alive count for nobody; as long as they run they are not
 * free either.
 */
export function assigned(
  free: string[],
  live: string[],
  counts: Map<string, number>,
  share: number,
  me: string,
): string[] {
  let next = 0
  for (const id of [...live].sort()) {
    const wanted = Math.max(0, share - (counts.get(id) ?? 0))
    if (id === me) return free.slice(next, next + wanted)
    next += wanted
  }
  return []
}

function shuffle<T>(list: T[]): T[] {
  const a = [...list]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j] as T, a[i] as T]
  }
  return a
}
