import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { CustosError } from '../model/errors.js'

// One custos per data directory. Two would share the forks' pid file (and kill each other's
// forks) and judge, alert and veto everything twice.
//
// The lock is a SQLite read transaction held open on `<dataDir>/custos.lock` for the life of
// the process. SQLite takes it with an fcntl() record lock, which the kernel drops when the
// process dies however it dies: a SIGKILL or a power cut can never leave a stale lock behind,
// and no pid has to be guessed alive. A lock file made with O_EXCL would survive the process
// that made it and need stale detection (pid reuse, clock skew, two starters both deciding the
// file is stale); a record lock has none of that. It is not inherited by child processes
// (anvil), so forks left behind by a killed run do not keep the directory locked.
//
// Taking it: write our holder row under an EXCLUSIVE lock (which SQLite grants only while no
// one holds a read lock), then open a read transaction and read the row back. Whoever reads
// their own row holds the directory; anyone later finds the write refused and reads the holder
// to name it. Local file systems only: record locks over NFS are not to be trusted.

export type Holder = { pid: number; host: string; started: string }

/** Another process holds the data directory (the message names it); exit 2. */
export class DataDirLocked extends CustosError {
  override name = 'DataDirLocked'
  constructor(
    readonly dir: string,
    readonly holder: Holder | undefined,
  ) {
    super(
      `the data directory ${dir} is in use by another custos (${
        holder ? `pid ${holder.pid} on ${holder.host}, started ${holder.started}` : 'which is starting'
      }): one process per data directory`,
    )
  }
}

export type DataDirLock = { readonly path: string; readonly holder: Holder; release(): void }

const busy = (error: unknown) => /^SQLITE_(BUSY|LOCKED)/.test((error as { code?: string }).code ?? '')

/** Takes the data directory's lock, or throws DataDirLocked naming the process that holds it. */
export function lockDataDir(dir: string, now: () => number = Date.now): DataDirLock {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, 'custos.lock')
  let db: Database.Database
  try {
    db = new Database(path, { timeout: 0 })
  } catch (cause) {
    throw new CustosError(`cannot open the lock file ${path}: ${(cause as Error).message}`, { cause })
  }
  const holderOf = (): Holder | undefined => {
    // A starter may hold the write lock for a moment: wait that moment, not more.
    db.pragma('busy_timeout = 1000')
    try {
      const r = db.prepare('SELECT pid, host, started FROM holder WHERE id = 1').get() as Holder | undefined
      return r ? { pid: r.pid, host: r.host, started: r.started } : undefined
    } catch {
      // The holder's row is unreadable (a starter still writing it): the message says so.
      return undefined
    }
  }
  const refuse = (): never => {
    const holder = holderOf()
    db.close()
    throw new DataDirLocked(dir, holder)
  }
  const me: Holder & { token: string } = {
    pid: process.pid,
    host: hostname(),
    started: new Date(now()).toISOString(),
    token: randomUUID(),
  }
  try {
    // Readers must block writers: the rollback journal, never WAL.
    db.pragma('journal_mode = DELETE')
    db.exec(`CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1),
      pid INTEGER NOT NULL, host TEXT NOT NULL, started TEXT NOT NULL, token TEXT NOT NULL)`)
    db.exec('BEGIN EXCLUSIVE')
  } catch (error) {
    if (busy(error)) return refuse()
    db.close()
    throw new CustosError(`cannot lock ${path}: ${(error as Error).message}`, { cause: error })
  }
  db.prepare('INSERT OR REPLACE INTO holder (id, pid, host, started, token) VALUES (1, ?, ?, ?, ?)').run(
    me.pid,
    me.host,
    me.started,
    me.token,
  )
  db.exec('COMMIT')
  // Between COMMIT and this read another starter may have written its row: then it holds the
  // directory (our read lock now stops anyone after it), and we are the one to leave.
  db.exec('BEGIN')
  const row = db.prepare('SELECT token FROM holder WHERE id = 1').get() as { token: string } | undefined
  if (row?.token !== me.token) {
    db.exec('ROLLBACK')
    return refuse()
  }
  let held = true
  return {
    path,
    holder: { pid: me.pid, host: me.host, started: me.started },
    release() {
      if (!held) return
      held = false
      db.exec('ROLLBACK')
      db.close()
    },
  }
}
