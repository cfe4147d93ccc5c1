import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/simulate/anvil.js'
import { DataDirLocked, lockDataDir } from '../../src/store/lock.js'
import { botProcess, waitReady } from '../helpers/bot-process.js'
import { startWorld, type World } from '../helpers/watch-world.js'

// One custos per data directory: two would kill each other's forks and veto twice.

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.stop())

describe('one custos run per data directory', () => {
  it('refuses a second instance with one line naming the holder, and a SIGKILL never leaves the directory locked', {
    timeout: 90_000,
  }, async () => {
    const ports = [await freePort(), await freePort()] as const
    const first = botProcess(world.dataDir, world.rawConfig({ server: { port: ports[0] } }))
    // Another config file (and port) on the same data directory.
    const second = botProcess(
      mkdtempSync(join(tmpdir(), 'custos-second-')),
      world.rawConfig({ server: { port: ports[1] } }),
    )
    const holder = first.start()
    try {
      await waitReady(ports[0])

      const refused = await exited(second.start())
      expect(refused).toEqual({ code: 2, signal: null })
      const lines = second.output().trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(
        new RegExp(
          `^custos: the data directory ${literal(world.dataDir)} is in use by another custos \\(pid ${holder.pid} on ${literal(hostname())}, started \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\): one process per data directory$`,
        ),
      )
      expect(first.running()).toBe(true)

      // Killed without a chance to clean up: the kernel drops the lock with the process.
      expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
      second.start()
      await waitReady(ports[1])
      expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    } finally {
      await first.stop('SIGKILL')
      await second.stop('SIGKILL')
    }
  })

  it('is one holder within a process too, and free again once released', () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-lock-'))
    const lock = lockDataDir(dir, () => Date.UTC(2025, 0, 2, 3, 4, 5))
    let refused: unknown
    try {
      lockDataDir(dir)
    } catch (error) {
      refused = error
    }
    expect(refused).toBeInstanceOf(DataDirLocked)
    expect((refused as DataDirLocked).holder).toEqual({
      pid: process.pid,
      host: hostname(),
      started: '2025-01-02T03:04:05.000Z',
    })
    lock.release()
    lockDataDir(dir).release()
  })
})

/** How `child` exits, within 20 s. */
const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the second instance is still running')), 20_000)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal })
    })
  })
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
