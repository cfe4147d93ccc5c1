import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/simulate/anvil.js'
import { botProcess, waitReady } from '../helpers/bot-process.js'
import { eventually, startWorld, type World } from '../helpers/watch-world.js'

// What an operator sees of `custos run` over HTTP and in its alerts: sources named as the
// configuration names them, a never-successful source shown as such, RPC failures that say
// what happened and where, metrics without a doubled prefix and present from the start.

let world: World
const bots: Array<ReturnType<typeof botProcess>> = []
beforeAll(async () => {
  world = await startWorld()
})
// One custos per data directory: the world's, which every bot here shares, is free again once
// a test's bot is gone (stopped as a service manager stops it, so its forks go with it).
afterEach(async () => {
  for (const b of bots.splice(0)) await b.stop('SIGTERM')
})
afterAll(async () => {
  await world?.stop()
})

const get = async (url: string) => {
  const r = await fetch(url)
  return { status: r.status, text: await r.text() }
}

describe('custos run, seen by an operator', () => {
  it('names a dead RPC, a never-successful source and the silent target the way the config does', async () => {
    const dead = await freePort()
    const port = await freePort()
    const bot = botProcess(
      mkdtempSync(join(tmpdir(), 'custos-ops-')),
      world.rawConfig({
        chains: {
          [String(world.lab.chainId)]: { rpc: [`http://127.0.0.1:${dead}`], txService: world.service.url },
        },
        sources: {
          txService: { intervalSeconds: 1 },
          chainEvents: { intervalSeconds: 1 },
          silentAfterIntervals: 2,
          silentAfterSeconds: 2,
        },
        server: { port },
        logging: { level: 'warn' },
      }),
    )
    bots.push(bot)
    bot.start()
    const base = `http://127.0.0.1:${port}`
    await eventually(
      async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok,
      20_000,
      'the server',
    )
    // The per-Safe last-poll series exists from the start, before any poll succeeded.
    const metrics = (await get(`${base}/metrics`)).text
    expect(metrics).toContain(`custos_last_successful_poll_seconds{chain="31337",safe="${world.safe}"} 0`)
    expect(metrics).toMatch(/^custos_process_cpu_seconds_total /m)
    expect(metrics).not.toContain('custos_process_process_')

    const cause = `RPC http://127.0.0.1:${dead}: connection refused`
    const ready = await eventually(
      async () => {
        const r = await get(`${base}/readyz`)
        const body = JSON.parse(r.text)
        // Both sources poll on their own timers: wait until each has failed once.
        return body.sources?.[`tx-service:31337:${world.safe}`]?.lastError &&
          body.sources?.['chain-events:31337']?.lastError
          ? { status: r.status, body }
          : undefined
      },
      20_000,
      'a failed poll of both sources on /readyz',
    )
    expect(ready.status).toBe(503)
    expect(ready.body.sources[`tx-service:31337:${world.safe}`]).toMatchObject({
      source: 'transaction service for Treasury (chain 31337)',
      lastSuccess: null,
      lastError: expect.stringContaining(cause),
    })
    expect(ready.body.sources['chain-events:31337']).toMatchObject({ lastSuccess: null, lastError: cause })

    const alert = await eventually(
      () =>
        world.receiver.accepted().find((r) => r.json.alert.dedupKey.startsWith('silent:tx-service:31337')),
      20_000,
      'the silent-source alert',
    )
    expect(alert.json.alert.title).toBe(
      'HIGH · source silent: transaction service for Treasury (chain 31337)',
    )
    expect(alert.json.alert.summary).toContain(cause)
    expect(alert.json.alert.summary).toContain('since custos started')
    // The same words in the logs.
    expect(bot.output()).toContain(cause)
  }, 60_000)

  it('titles a report page with the name of its Safe', async () => {
    const port = await freePort()
    const bot = botProcess(mkdtempSync(join(tmpdir(), 'custos-ops-')), world.rawConfig({ server: { port } }))
    bots.push(bot)
    bot.start()
    await waitReady(port)
    const { safeTxHash } = await world.propose(world.owners.A, { to: world.owners.B.address, value: 1n })
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    const page = await eventually(
      async () => {
        const r = await get(`http://127.0.0.1:${port}/reports/${encodeURIComponent(id)}`)
        return r.status === 200 ? r.text : undefined
      },
      20_000,
      'the report page',
    )
    expect(page).toMatch(/<title>[A-Z]+ · Treasury · nonce 0<\/title>/)
    expect(page).toContain('Treasury · Safe')
  }, 60_000)
})
