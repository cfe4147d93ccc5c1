import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/simulate/anvil.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { botProcess, waitReady } from '../helpers/bot-process.js'
import { eventually, startWorld, type World } from '../helpers/watch-world.js'

// A damaged store is loud: refused at start, and a fault while running fails /healthz, is
// counted in /metrics and is said on the console channel. Through the real `custos run`.

const PAGE = 4096

/** Overwrites every page of the file from `fromPage` (0-based; negative: from the end) on with junk. */
function junkPages(path: string, fromPage: number) {
  const fd = openSync(path, 'r+')
  const size = fstatSync(fd).size
  const junk = Buffer.alloc(PAGE, 0xa5)
  const first = fromPage >= 0 ? fromPage : size / PAGE + fromPage
  for (let off = first * PAGE; off < size; off += PAGE) writeSync(fd, junk, 0, PAGE, off)
  closeSync(fd)
}

/** A store with some reports in it, closed, as a stopped custos leaves it. */
async function storeWithData(dir: string): Promise<string> {
  const path = join(dir, 'custos.db')
  const store = openSqliteStore(path)
  for (let i = 0; i < 40; i++)
    await store.commit({
      proposals: [
        {
          id: `1:safe:0x${i}`,
          chainId: 1,
          target: { kind: 'governor', address: '0x1111111111111111111111111111111111111111' },
          key: String(i),
          origin: {
            kind: 'governor',
            governor: '0x1111111111111111111111111111111111111111',
            proposalId: BigInt(i),
            flavor: 'oz',
            description: `proposal ${i}`,
            createdBlock: 1n,
            voteEnd: 2n,
          },
          calls: [],
          fingerprint: `f${i}`,
          status: 'pending',
          level: 'low',
        },
      ],
      reports: [
        {
          proposalId: `1:safe:0x${i}`,
          fingerprint: `f${i}`,
          level: 'low',
          score: i,
          findings: [],
          json: { filler: 'x'.repeat(2000) },
        },
      ],
    })
  await store.close()
  return path
}

/** Runs `custos run` until it exits (or fails the test after `ms`). */
async function runToExit(dir: string, config: Record<string, unknown>, ms = 20_000) {
  const bot = botProcess(dir, config)
  const child = bot.start()
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve(null)
    }, ms)
    child.once('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  return { code, stderr: bot.stderr() }
}

const offlineConfig = (dataDir: string) => ({
  chains: { '1': { rpc: ['http://127.0.0.1:9'] } },
  safes: [{ address: '0x1111111111111111111111111111111111111111', chainId: 1, name: 'Treasury' }],
  server: { enabled: false },
  dataDir,
  logging: { level: 'silent' },
})

describe('custos run refuses a damaged store at start', () => {
  it('exits 2 with one line naming the file when pages are corrupt', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-store-'))
    const path = await storeWithData(dir)
    // The last pages hold old reports: a start that does not check would not notice, and run blind.
    junkPages(path, -3)
    const { code, stderr } = await runToExit(dir, offlineConfig(dir))
    expect(code).toBe(2)
    const lines = stderr.split('\n').filter(Boolean)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^custos: the store ${path} (is damaged|cannot be read)`))
  })

  it('exits 2 with one line naming the file when it is not a database at all', {
    timeout: 30_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-store-'))
    writeFileSync(join(dir, 'custos.db'), 'this is not a database\n'.repeat(500))
    const { code, stderr } = await runToExit(dir, offlineConfig(dir))
    expect(code).toBe(2)
    const lines = stderr.split('\n').filter(Boolean)
    expect(lines).toEqual([
      expect.stringMatching(/^custos: the store .*custos\.db cannot be read: file is not a database/),
    ])
  })
})

describe('custos run with a store that fails while it runs', () => {
  let world: World
  beforeAll(async () => {
    world = await startWorld()
  })
  afterAll(() => world?.stop())

  it('fails /healthz, counts the errors in /metrics and says it on the console channel', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort()
    const dataDir = mkdtempSync(join(tmpdir(), 'custos-store-'))
    const config: Record<string, unknown> = world.rawConfig({
      server: { port },
      dataDir,
      logging: { level: 'info' },
    })
    // The silent-source check must fire within the test: silence after 3 polls and 1 s, not 60 s.
    config.sources = { ...(config.sources as object), silentAfterSeconds: 1 }
    config.notify = { ...(config.notify as object), console: { enabled: true, minLevel: 'info' } }
    const bot = botProcess(dataDir, config)
    bot.start()
    try {
      await waitReady(port)
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
      const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      expect(await metrics()).not.toMatch(/^custos_store_errors_total\{/m)
      // A transaction to judge, so that a fork runs (what the stop below must not leave behind).
      await world.propose(world.owners.A, { to: world.owners.B.address, value: 1n })
      const pidFile = join(dataDir, 'forks.pid')
      const forks = await eventually(
        () => {
          const lines = readFileSync(pidFile, 'utf8').split('\n').filter(Boolean)
          return lines.length ? lines : undefined
        },
        30_000,
        'a fork',
      ).then((lines) => lines.map((l) => Number(l.split(' ')[0])))

      // Everything into the main file, then its pages after the schema turned to junk. The
      // checkpoint also tells custos's connection that the file changed, so it reads it again.
      const db = new Database(join(dataDir, 'custos.db'), { timeout: 5000 })
      await eventually(
        () =>
          (db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>)[0]?.busy === 0
            ? true
            : undefined,
        5000,
        'a checkpoint',
      )
      db.close()
      junkPages(join(dataDir, 'custos.db'), 1)

      const health = await eventually(
        async () => {
          const r = await fetch(`http://127.0.0.1:${port}/healthz`)
          return r.status === 503
            ? ((await r.json()) as { status: string; store: Record<string, unknown> })
            : undefined
        },
        20_000,
        '/healthz to fail',
      )
      expect(health.status).toBe('store failing')
      expect(health.store).toMatchObject({ ok: false, lastError: expect.stringMatching(/malformed/) })
      expect(await metrics()).toMatch(/^custos_store_errors_total\{[^}]*code="SQLITE_CORRUPT"[^}]*\} [1-9]/m)
      const alert = await eventually(
        () =>
          bot
            .stdout()
            .split('\n\n')
            .find((b) => b.includes('custos store failing')),
        10_000,
        'the console alert',
      )
      expect(alert).toMatch(/CRITICAL/)
      expect(alert).toContain(join(dataDir, 'custos.db'))
      // Said once per outage, not once per failing call.
      await new Promise((r) => setTimeout(r, 2000))
      expect(bot.stdout().split('custos store failing').length - 1).toBe(1)
      expect(bot.stderr().match(/"msg":"the store is failing/g)).toHaveLength(1)
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(503)

      // The sources fail with the store, fall silent, and the silent-source check cannot queue
      // its alert either: that failure is logged and counted too, never swallowed.
      await eventually(
        async () =>
          /^custos_task_errors_total\{task="silent-source check"\} [1-9]/m.test(await metrics())
            ? true
            : undefined,
        20_000,
        'the silent-source check failure in /metrics',
      )
      expect(bot.stderr()).toMatch(/"task":"silent-source check","error":"database disk image is malformed"/)

      // Stopped with the store failing: every step of stopping runs, the forks are stopped,
      // and exit 1 says the stop was not clean (it was an "internal error", exit 2, forks left).
      expect(await bot.stop('SIGTERM')).toEqual({ code: 1, signal: null })
      expect(bot.stderr()).not.toContain('internal error')
      expect(bot.stderr()).toMatch(
        /"failed":\[[^\]]*"last delivery round"[^\]]*\],"msg":"stopped, but not cleanly"/,
      )
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0)
          return true
        } catch {
          return false
        }
      }
      expect(forks.filter(alive)).toEqual([])
    } finally {
      await bot.stop('SIGTERM')
    }
  })
})
