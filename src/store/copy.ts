import Database from 'better-sqlite3'
import pg from 'pg'
import { InputError } from '../model/errors.js'
import { openPostgresStore } from './postgres.js'
import { openSqliteStore } from './sqlite.js'

// Moving from one process to replicas: an SQLite store copied, row for row, into an empty
// PostgreSQL database, in one transaction (all of it or nothing). Ids are kept (report links
// and chat buttons stay valid) and the sequences continue after them; the audit log comes along
// whole and stays append-only.

/** Tables in the order their references need. */
const TABLES = [
  'cursors',
  'proposals',
  'reports',
  'findings',
  'verdicts',
  'outbox',
  'acks',
  'vetoes',
  'veto_claims',
  'audit',
  'messages',
  'interactions',
  'escalations',
  'silences',
] as const
const SERIAL = ['reports', 'outbox', 'acks', 'vetoes', 'audit'] as const
const CHUNK = 500

export class StoreNotEmptyError extends InputError {
  override name = 'StoreNotEmptyError'
}

/** Copies the SQLite store at `file` into the PostgreSQL database at `url`; returns rows per table. */
export async function copySqliteToPostgres(file: string, url: string): Promise<Record<string, number>> {
  // Opening it brings the file's schema up to date first.
  await openSqliteStore(file).close()
  await (await openPostgresStore(url)).close()
  const source = new Database(file, { readonly: true, fileMustExist: true })
  const target = new pg.Client({ connectionString: url })
  await target.connect()
  const copied: Record<string, number> = {}
  try {
    await target.query('BEGIN')
    for (const t of ['proposals', 'reports', 'outbox', 'audit', 'cursors']) {
      const { rows } = await target.query(`SELECT count(*)::int AS n FROM ${t}`)
      if ((rows[0] as { n: number }).n > 0)
        throw new StoreNotEmptyError(
          `the PostgreSQL database already holds custos data (${t} is not empty): migrate into an empty database`,
        )
    }
    for (const table of TABLES) {
      const columns = new Set(
        (
          await target.query('SELECT column_name FROM information_schema.columns WHERE table_name = $1', [
            table,
          ])
        ).rows.map((r) => r.column_name as string),
      )
      const rows = source.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]
      copied[table] = rows.length
      const names = Object.keys(rows[0] ?? {}).filter((c) => columns.has(c))
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK)
        const values: unknown[] = []
        const tuples = chunk.map((row) => {
          const start = values.length
          for (const c of names) values.push(row[c] ?? null)
          return `(${names.map((_, j) => `$${start + j + 1}`).join(', ')})`
        })
        await target.query(
          `INSERT INTO ${table} (${names.map((c) => pg.escapeIdentifier(c)).join(', ')}) VALUES ${tuples.join(', ')}`,
          values,
        )
      }
    }
    // New rows continue after the copied ids.
    for (const table of SERIAL)
      await target.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM ${table}`,
      )
    await target.query('COMMIT')
    return copied
  } catch (error) {
    // A rollback that fails (the connection broke): the error thrown below says why.
    await target.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    source.close()
    await target.end()
  }
}
