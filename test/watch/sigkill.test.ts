import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { getAddress, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/simulate/anvil.js'
import { botProcess, waitReady } from '../helpers/bot-process.js'
import { eventually, startWorld, type World } from '../helpers/watch-world.js'

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.stop())

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('custos run killed with SIGKILL at random points', () => {
  it('delivers every alert, exactly once per channel by dedup key, and leaves no fork behind', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort()
    const bot = botProcess(world.dataDir, world.rawConfig({ server: { port } }))
    const pidFile = join(world.dataDir, 'forks.pid')
    const forkPids = new Set<number>()
    const notePids = () => {
      if (!existsSync(pidFile)) return
      for (const p of readFileSync(pidFile, 'utf8').split('\n').filter(Boolean)) forkPids.add(Number(p))
    }
    bot.start()
    await waitReady(port)

    const hashes: Hex[] = []
    let kills = 0
    const chaos = (async () => {
      while (kills < 6) {
        await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 700)))
        notePids()
        await bot.stop('SIGKILL')
        kills++
        bot.start()
      }
    })()
    for (let i = 0; i < 6; i++) {
      hashes.push(
        (await world.propose(world.owners.A, { to: ATTACKER, value: BigInt(i + 1), nonce: i })).safeTxHash,
      )
      await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 400)))
    }
    await chaos
    const keysFor = (h: Hex) =>
      world.receiver.unique().filter((k) => k.startsWith(`${world.lab.chainId}:safe:${h}`))
    await eventually(
      () => (hashes.every((h) => keysFor(h).length > 0) ? true : undefined),
      60_000,
      'an alert for every proposal',
    )
    await new Promise((r) => setTimeout(r, 1500))
    notePids()
    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null })

    for (const h of hashes) expect(keysFor(h)).toHaveLength(1)
    const delivered = world.receiver
      .accepted()
      .filter((r) => hashes.some((h) => r.json.alert.dedupKey.includes(h)))
    expect(delivered.length).toBeGreaterThanOrEqual(hashes.length)
    // Forks of killed runs were reaped by the next run; the last one stopped its own.
    expect(readFileSync(pidFile, 'utf8')).toBe('')
    expect([...forkPids].filter(alive)).toEqual([])
  })
})
