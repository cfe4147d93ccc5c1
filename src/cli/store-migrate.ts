import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { ConfigError, resolveSecret } from '../config/load.js'
import { configSchema } from '../config/schema.js'
import { InputError } from '../model/errors.js'
import { createRuntime } from '../pipeline.js'
import { copySqliteToPostgres } from '../store/copy.js'
import { DataDirLocked, lockDataDir } from '../store/lock.js'
import type { Io } from './io.js'

/**
 * `custos store migrate --from sqlite:FILE --to postgres`: copies a stopped custos's SQLite store
 * (refused while a custos holds the file's data directory)
 * into the empty PostgreSQL database that `store.url` names (DATABASE_URL by default).
 */
export async function storeMigrateCommand(
  opts: { from: string; to: string; config?: string },
  io: Io,
): Promise<number> {
  const from = /^sqlite:(.+)$/.exec(opts.from)?.[1]
  if (!from) throw new InputError(`--from: expected sqlite:FILE, got ${opts.from}`)
  if (!existsSync(from)) throw new InputError(`--from: ${from} does not exist`)
  if (opts.to !== 'postgres') throw new InputError(`--to: expected postgres, got ${opts.to}`)
  const config = opts.config ? createRuntime(opts.config).config : configSchema.parse({})
  const ref = config.store.url
  if (!io.env[ref.env])
    throw new ConfigError(opts.config ?? 'defaults', [
      `store.url: environment variable ${ref.env} is not set`,
    ])
  const url = resolveSecret(ref, io.env, 'store.url')
  // The file's data directory, held as `custos run` holds it: a copy taken while custos still
  // writes would leave the last alerts and claims behind.
  let lock: ReturnType<typeof lockDataDir>
  try {
    lock = lockDataDir(dirname(from))
  } catch (error) {
    if (!(error instanceof DataDirLocked)) throw error
    throw new InputError(`${error.shortMessage}: stop it before migrating its store`, { cause: error })
  }
  let copied: Record<string, number>
  try {
    copied = await copySqliteToPostgres(from, url)
  } finally {
    lock.release()
  }
  const rows = Object.entries(copied)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
  io.stdout.write(
    `copied ${from} into PostgreSQL (${ref.env}): ${rows.join(', ') || 'an empty store'}\nnext: set store.driver: postgres in the config and start the replicas\n`,
  )
  return 0
}
