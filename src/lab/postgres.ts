import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from '../simulate/anvil.js'

// A throwaway PostgreSQL server for the lab, the tests and the benchmark: Debian's `postgresql`
// binaries, a fresh cluster in a temporary directory, listening on a free loopback port, with
// trust authentication (nothing but this machine can reach it). PostgreSQL refuses to run as
// root, so as root the server runs as the `postgres` system user (or `nobody`).

export type LocalPostgres = {
  /** Connection URL of the `custos` database (user `custos`, no password). */
  url: string
  port: number
  /** Creates another empty database and returns its URL. */
  createDatabase(name: string): Promise<string>
  stop(): Promise<void>
}

const MISSING =
  "install Debian's postgresql package (apt-get install postgresql; .ci/run does) or set CUSTOS_PG_BINDIR to the directory holding initdb and postgres"

/**
 * Where the server binaries are: CUSTOS_PG_BINDIR, Debian's newest cluster version, or what
 * pg_config names. Without them the tests that need a server fail with this error, never skip.
 */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const hasServer = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))
  if (env.CUSTOS_PG_BINDIR) {
    if (hasServer(env.CUSTOS_PG_BINDIR)) return env.CUSTOS_PG_BINDIR
    throw new Error(
      `CUSTOS_PG_BINDIR=${env.CUSTOS_PG_BINDIR} holds no PostgreSQL server (initdb, postgres): ${MISSING}`,
    )
  }
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => hasServer(join(debian, v, 'bin')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(debian, versions[0], 'bin')
  }
  let configured: string | undefined
  try {
    configured = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim()
  } catch {
    // No pg_config either: the error below says what to install.
  }
  // pg_config comes with the client libraries too, naming a directory without the server.
  if (configured && hasServer(configured)) return configured
  throw new Error(`PostgreSQL server binaries not found: ${MISSING}`)
}

/** The unprivileged account to run the server as when this process is root. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const users = readFileSync('/etc/passwd', 'utf8').split('\n')
  for (const name of ['postgres', 'nobody']) {
    const fields = users.find((l) => l.startsWith(`${name}:`))?.split(':')
    if (fields) return { uid: Number(fields[2]), gid: Number(fields[3]) }
  }
  throw new Error('running as root, and neither a postgres nor a nobody account exists to run PostgreSQL as')
}

export async function startPostgres(): Promise<LocalPostgres> {
  const bin = postgresBinDir()
  const dir = mkdtempSync(join(tmpdir(), 'custos-pg-'))
  const account = serverAccount()
  if (account) chownSync(dir, account.uid, account.gid)
  // setpriv replaces itself with the server (no extra process in between to forward signals).
  const as = (program: string, args: string[]): [string, string[]] =>
    account
      ? [
          'setpriv',
          [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', join(bin, program), ...args],
        ]
      : [join(bin, program), args]
  const data = join(dir, 'data')
  const [initdb, initArgs] = as('initdb', [
    ...['-D', data, '-U', 'custos', '--auth=trust', '-E', 'UTF8', '--locale=C'],
    ...['--no-sync', '--no-instructions'],
  ])
  try {
    execFileSync(initdb, initArgs, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`)
  }
  const port = await freePort()
  const [postgres, args] = as('postgres', [
    ...['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    // A test server: durability is not what is tested (custos is killed, never the server).
    ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ...['-c', 'max_connections=300', '-c', 'shared_buffers=32MB'],
  ])
  const child: ChildProcess = spawn(postgres, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr?.on('data', (d) => {
    log = (log + d).slice(-4000)
  })
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  const base = `postgres://custos@127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`PostgreSQL exited at start: ${log}`)
    }
    const client = new pg.Client({ connectionString: `${base}/postgres` })
    try {
      await client.connect()
      await client.query('CREATE DATABASE custos')
      await client.end()
      break
    } catch (error) {
      // Closing a connection that never opened fails too: the connect error is what counts.
      await client.end().catch(() => {})
      if (Date.now() > deadline) {
        kill()
        throw new Error(`PostgreSQL did not start: ${String(error)} ${log}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    url: `${base}/custos`,
    port,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: `${base}/postgres` })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`)
      } finally {
        await client.end()
      }
      return `${base}/${name}`
    },
    async stop() {
      process.removeListener('exit', kill)
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        // SIGINT: the fast shutdown (open sessions are ended).
        child.kill('SIGINT')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
