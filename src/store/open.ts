import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { resolveSecret } from '../config/load.js'
import type { Config } from '../config/schema.js'
import type { Store } from '../model/store.js'
import { openPostgresStore } from './postgres.js'
import { openSqliteStore } from './sqlite.js'

/** The store the config names, for logs and alerts: the SQLite file, never the database URL. */
export function storeLabel(config: Config): string {
  const s = config.store
  return s.driver === 'sqlite'
    ? (s.path ?? join(config.dataDir, 'custos.db'))
    : `the PostgreSQL store (${s.url.env})`
}

/**
 * The store the config names: the SQLite file (one process), or the PostgreSQL database that
 * replicas share. The database URL is read from the environment and then taken out of it: the
 * anvil processes custos starts would inherit it.
 */
export async function openStore(
  config: Config,
  env: NodeJS.ProcessEnv,
  onError?: (error: Error) => void,
): Promise<Store> {
  const s = config.store
  if (s.driver === 'sqlite') return openSqliteStore(s.path ?? join(config.dataDir, 'custos.db'))
  const url = resolveSecret(s.url, env, 'store.url')
  delete env[s.url.env]
  return openPostgresStore(url, {
    poolSize: s.poolSize,
    // A suffix per start: a restarted process never passes for the one before it (whose claims
    // and leases must run out, not carry over to a process that never started them).
    replicaId: `${s.replicaId ?? `${hostname()}-${process.pid}`}-${randomUUID().slice(0, 6)}`,
    ...(onError ? { onError } : {}),
  })
}
