import type { Store } from '../model/store.js'

// What `custos status` and `/custos status` say of the replicas sharing the store.

export type ReplicasView = {
  /** This process's id, when it is a replica itself (`/custos status`). */
  self?: string
  replicas: Array<{
    id: string
    host: string
    pid: number
    version: string
    alive: boolean
    seenSecondsAgo: number
    leads: string[]
  }>
  /** Leases nobody holds now (their leader died and no replica took them yet). */
  orphaned: string[]
}

/** The replicas and their leases; undefined on a store that only one process uses. */
export async function replicasView(store: Store): Promise<ReplicasView | undefined> {
  const r = store.replicas
  if (!r) return undefined
  // Times are the database's, read against its own clock.
  const [replicas, leases, dbNow] = await Promise.all([r.replicas(), r.leases(), r.now()])
  return {
    replicas: replicas
      .filter((x) => x.alive || dbNow - x.seenAt < 3_600_000)
      .map((x) => ({
        id: x.id,
        host: x.host,
        pid: x.pid,
        version: x.version,
        alive: x.alive,
        seenSecondsAgo: Math.max(0, Math.round((dbNow - x.seenAt) / 1000)),
        leads: leases.filter((l) => l.active && l.holder === x.id).map((l) => l.name),
      })),
    orphaned: leases.filter((l) => !l.active).map((l) => l.name),
  }
}

/** One line per replica (and one for leases nobody holds), for chat and the terminal. */
export function replicaLines(view: ReplicasView, self?: string): string[] {
  const lines = view.replicas.map(
    (x) =>
      `${x.alive ? '🟢' : '⚪'} replica ${x.id}${x.id === self ? ' (this one)' : ''} on ${x.host} (pid ${x.pid}, ${x.version}): ${
        x.alive
          ? x.leads.length
            ? `leads ${x.leads.join(', ')}`
            : 'stands by'
          : `gone, last seen ${x.seenSecondsAgo} s ago`
      }`,
  )
  if (view.orphaned.length) lines.push(`🟡 waiting for a leader: ${view.orphaned.join(', ')}`)
  return lines
}
