import { ConfigError } from '../config/load.js'
import type { Store } from '../model/store.js'
import { replicaLines, replicasView } from '../pipeline/replicas.js'
import { createRuntime } from '../pipeline.js'
import { openStore } from '../store/open.js'
import type { Io } from './io.js'

/**
 * `custos status`: what the store says, read by any machine that can reach it: the replicas and
 * the sources each leads (PostgreSQL), the scan cursors, what is pending and waiting to be sent.
 * Exit 0; 2 when the store cannot be opened.
 */
export async function statusCommand(opts: { config: string; format?: string }, io: Io): Promise<number> {
  const { config } = createRuntime(opts.config)
  if (config.store.driver === 'postgres' && !io.env[config.store.url.env])
    throw new ConfigError(opts.config, [`store.url: environment variable ${config.store.url.env} is not set`])
  const store = await openStore(config, io.env)
  try {
    const status = await read(store)
    if (opts.format === 'json') {
      io.stdout.write(`${JSON.stringify({ store: config.store.driver, ...status }, null, 2)}\n`)
      return 0
    }
    const lines = [
      config.store.driver === 'postgres'
        ? 'store: PostgreSQL, shared by replicas'
        : 'store: SQLite, one process (no replicas)',
      ...(status.replicas ? replicaLines(status.replicas) : []),
      ...status.cursors.map(
        (c) => `⛓️ ${c.source} on chain ${c.chainId}: ${c.value} (${Math.round(c.ageSeconds)} s ago)`,
      ),
      `📋 ${status.pending} pending proposal${status.pending === 1 ? '' : 's'}, ${status.outbox} alert${status.outbox === 1 ? '' : 's'} waiting to be sent`,
    ]
    io.stdout.write(`${lines.join('\n')}\n`)
    return 0
  } finally {
    await store.close()
  }
}

async function read(store: Store) {
  const now = Date.now()
  const scans = new Set(['safe-events', 'governance-events'])
  return {
    replicas: await replicasView(store),
    cursors: (await store.cursors())
      .filter((c) => scans.has(c.source))
      .map((c) => ({
        source: c.source,
        chainId: c.chainId,
        value: c.value,
        ageSeconds: (now - c.updatedAt) / 1000,
      })),
    pending: (await store.pendingProposals(10_000)).length,
    outbox: await store.outboxDepth(),
  }
}
