import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { getAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/simulate/anvil.js'
import { botProcess, waitReady } from '../helpers/bot-process.js'
import { eventually, startWorld, type World } from '../helpers/watch-world.js'

// `custos run` as an operator runs it: a real process, its HTTP server, its stderr, its forks.

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const SECRETS = {
  DISCORD_TOKEN: 'discord-secret-in-the-env',
  PAGERDUTY_ROUTING_KEY: 'pagerduty-secret-in-the-env',
  CUSTOS_WEBHOOK_SECRET: 'webhook-secret-in-the-env',
}

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.stop())

/** A raw request (fetch cannot send a malformed path), resolving with the status and the body. */
function raw(
  port: number,
  method: string,
  path: string,
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

/** Lines of stderr that are not a JSON object. */
const notJson = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object'
      } catch {
        return true
      }
    })

describe('custos run, as a process', () => {
  it('serves HTTP (HEAD as GET, 400 for a malformed path), gives forks no secrets, and writes only JSON to stderr', {
    timeout: 90_000,
  }, async () => {
    const port = await freePort()
    const dataDir = mkdtempSync(join(tmpdir(), 'custos-run-'))
    const bot = botProcess(
      dataDir,
      world.rawConfig({ server: { port }, dataDir, logging: { level: 'info' } }),
      SECRETS,
    )
    bot.start()
    try {
      await waitReady(port)

      // /healthz and HEAD wherever GET works.
      const health = await raw(port, 'GET', '/healthz')
      expect(health.status).toBe(200)
      expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', store: { ok: true } })
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        const head = await raw(port, 'HEAD', path)
        expect([path, head.status]).toEqual([path, 200])
        expect(head.body).toBe('')
      }
      expect((await raw(port, 'HEAD', '/nope')).status).toBe(404)

      // A malformed percent-encoding is the client's mistake, not an internal error.
      for (const path of ['/reports/%', '/reports/%zz.json', '/reports/%E0%A4%A']) {
        const bad = await raw(port, 'GET', path)
        expect([path, bad.status]).toEqual([path, 400])
        expect(bad.body).toMatch(/percent-encoding/)
      }

      // A proposal makes custos start a fork; the fork's environment holds none of custos's secrets.
      const { safeTxHash } = await world.propose(world.owners.A, { to: ATTACKER, value: 1n })
      const id = `${world.lab.chainId}:safe:${safeTxHash}`
      await eventually(
        () => world.receiver.accepted().some((r) => r.json.alert.dedupKey.includes(safeTxHash)) || undefined,
        30_000,
        'the alert',
      )
      const report = await raw(port, 'HEAD', `/reports/${encodeURIComponent(id)}`)
      expect(report.status).toBe(200)
      expect(report.type).toMatch(/text\/html/)
      expect((await raw(port, 'HEAD', `/reports/${encodeURIComponent(id)}.json`)).status).toBe(200)

      const pidFile = join(dataDir, 'forks.pid')
      const pids = readFileSync(pidFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => Number(l.split(' ')[0]))
      expect(pids.length).toBeGreaterThan(0)
      for (const pid of pids) {
        expect(Number.isInteger(pid)).toBe(true)
        expect(existsSync(`/proc/${pid}/environ`)).toBe(true)
        const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)
        const names = env.map((e) => e.slice(0, e.indexOf('=')))
        expect(names.filter((n) => !['PATH', 'HOME'].includes(n))).toEqual([])
        for (const secret of Object.values(SECRETS)) expect(env.join('\n')).not.toContain(secret)
      }

      // Paused (a VM stopped, a laptop asleep) for three seconds: the schedule misses runs.
      const pid = bot.pid() as number
      process.kill(pid, 'SIGSTOP')
      await new Promise((r) => setTimeout(r, 3000))
      process.kill(pid, 'SIGCONT')
      await eventually(
        () => (/skipped|missed execution/.test(bot.stderr()) ? true : undefined),
        10_000,
        'a word about the missed runs',
      )
      expect(notJson(bot.stderr())).toEqual([])
      expect(bot.stderr()).toMatch(/"msg":"scheduled runs skipped/)
    } finally {
      expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    }
    expect(notJson(bot.stderr())).toEqual([])
  })

  it('stops cleanly (exit 0) on a SIGTERM that arrives while its modules are still loading', {
    timeout: 60_000,
  }, async () => {
    // A module hook holds the CLI's modules for a while and says when it starts holding them: the
    // SIGTERM then lands exactly in the window where, without bin/custos.js listening from its
    // start, Node's default action killed custos half-started.
    const dir = mkdtempSync(join(tmpdir(), 'custos-early-'))
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { writeSync } from 'node:fs'
export async function load(url, context, next) {
  if (url.endsWith('/dist/src/cli/main.js')) {
    writeSync(2, 'test-hook: holding the CLI\\n')
    await new Promise((r) => setTimeout(r, 3000))
  }
  return next(url, context)
}
`,
    )
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`,
    )
    const port = await freePort()
    const bot = botProcess(dir, world.rawConfig({ server: { port } }), {
      NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}`,
    })
    bot.start()
    try {
      await eventually(
        () => (bot.stderr().includes('test-hook: holding') ? true : undefined),
        20_000,
        'the hook',
      )
    } finally {
      expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    }
  })

  it('answers /readyz 503 while a source never became ready (a dead RPC), and /healthz 200: alive, not ready', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort()
    const deadPort = await freePort()
    const deadRpc = `http://127.0.0.1:${deadPort}/v2/rpc-secret-key`
    const dataDir = mkdtempSync(join(tmpdir(), 'custos-run-'))
    const config = world.rawConfig({ server: { port }, dataDir })
    config.chains = { [String(world.lab.chainId)]: { rpc: [deadRpc], txService: world.service.url } }
    const bot = botProcess(dataDir, config)
    bot.start()
    try {
      const chainEvents = `chain-events:${world.lab.chainId}`
      const ready = await eventually(
        async () => {
          const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)
          if (!r) return undefined
          const body = (await r.json()) as {
            ready: boolean
            waitingFor: string[]
            sources: Record<string, { failures: number; lastError?: string }>
          }
          // Wait until the failing source has been tried (and failed), not merely not tried yet.
          return (body.sources[chainEvents]?.failures ?? 0) >= 2 ? { status: r.status, body } : undefined
        },
        30_000,
        'a failed scan',
      )
      expect(ready.status).toBe(503)
      expect(ready.body.ready).toBe(false)
      expect(ready.body.waitingFor).toEqual(
        expect.arrayContaining([chainEvents, `tx-service:${world.lab.chainId}`]),
      )
      // What happened and where, the endpoint redacted: its key never shows.
      expect(ready.body.sources[chainEvents]?.lastError).toBe(
        `RPC http://127.0.0.1:${deadPort}/…: connection refused`,
      )
      expect(JSON.stringify(ready.body)).not.toContain('rpc-secret-key')

      const health = await fetch(`http://127.0.0.1:${port}/healthz`)
      expect(health.status).toBe(200)
    } finally {
      await bot.stop('SIGTERM')
    }
  })
})
