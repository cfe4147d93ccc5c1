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

/** A process's start time (field 22 of /proc/<pid>/stat), or undefined once it is gone. */
const startTime = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}
/** The fork is still running: same pid, same start time (a reused pid is another process). */
const alive = ([pid, started]: [number, string]) => startTime(pid) === started

describe('custos run killed with SIGKILL at random points', () => {
  it('delivers every alert, exactly once per channel by dedup key, and leaves no fork behind', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort()
    const bot = botProcess(world.dataDir, world.rawConfig({ server: { port } }))
    const pidFile = join(world.dataDir, 'forks.pid')
    // Lines are `<pid> <start time>`; `orphans` are the forks of runs that were killed.
    const orphans = new Map<number, string>()
    const forksNow = () => {
      const now = new Map<number, string>()
      if (!existsSync(pidFile)) return now
      for (const line of readFileSync(pidFile, 'utf8').split('\n').filter(Boolean)) {
        const [pid, started] = line.split(' ')
        // A line caught half written is left out.
        if (/^\d+$/.test(pid ?? '') && started) now.set(Number(pid), started)
      }
      return now
    }
    const kill = async () => {
      const before = forksNow()
      await bot.stop('SIGKILL')
      for (const [pid, started] of before) orphans.set(pid, started)
    }
    bot.start()
    await waitReady(port)

    const hashes: Hex[] = []
    let kills = 0
    const chaos = (async () => {
      while (kills < 6) {
        await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 700)))
        await kill()
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
    // One more kill, while a fork is certainly running: a proposal is being judged.
    const last = await world.propose(world.owners.A, { to: ATTACKER, value: 7n, nonce: 6 })
    hashes.push(last.safeTxHash)
    await eventually(() => (forksNow().size > 0 ? true : undefined), 30_000, 'a fork')
    await kill()
    bot.start()
    await eventually(() => (keysFor(last.safeTxHash).length > 0 ? true : undefined), 60_000, 'the last alert')
    await new Promise((r) => setTimeout(r, 1500))
    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null })

    for (const h of hashes) expect(keysFor(h)).toHaveLength(1)
    const delivered = world.receiver
      .accepted()
      .filter((r) => hashes.some((h) => r.json.alert.dedupKey.includes(h)))
    expect(delivered.length).toBeGreaterThanOrEqual(hashes.length)
    // Forks of killed runs were reaped by the next run; the last one stopped its own.
    expect(readFileSync(pidFile, 'utf8')).toBe('')
    expect(orphans.size).toBeGreaterThan(0)
    const left = [...orphans].filter(alive)
    // A failing run does not leave its forks on the machine.
    for (const [pid] of left) process.kill(pid, 'SIGKILL')
    expect(left).toEqual([])
  })
})
