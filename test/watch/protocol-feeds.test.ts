import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LAB_BOUNDS, LAB_PRICE } from '../../src/lab/protocol/index.js'
import { freshProtocol, watchProtocol } from '../helpers/protocol-world.js'
import { startWorld, type World } from '../helpers/watch-world.js'

// The chainlink-feed check on the lab, each way it breaks and recovers: a feed left stale past its
// heartbeat plus grace, an answer pinned at the aggregator's bounds, an answer off from a second
// source, the L2 sequencer down and back within its grace period.

let world: World
beforeAll(async () => {
  world = await startWorld()
}, 120_000)
afterAll(() => world?.stop())

const feedCheck = (p: { feed: `0x${string}` }, extra: Record<string, unknown> = {}) => ({
  id: 'eth-usd',
  kind: 'chainlink-feed',
  feed: p.feed,
  heartbeat: 3600,
  grace: 60,
  ...extra,
})

describe('chainlink-feed on the lab', () => {
  it('alerts a feed stale past heartbeat plus grace at the first block that shows it, once, raises it again when worse, and resolves it when a round lands', async () => {
    const p = await freshProtocol(world)
    const w = await watchProtocol(world, p, [feedCheck(p, { worseBy: { stale: 3600 } })])
    try {
      // Healthy: nothing is raised, nor 30 s before it is due.
      await p.warp(3600 + 30)
      expect(w.alerts()).toHaveLength(0)
      await p.warp(31) // now 3661 s old: 1 s past 3600 + 60
      const staleBlock = await world.lab.public.getBlockNumber({ cacheTime: 0 })
      const alert = await w.alertOf('eth-usd')
      expect(alert.level).toBe('high')
      expect(alert.findings.map((f) => `${f.guard}/${f.code}`)).toEqual(['chainlink-feed/stale'])
      const stored = await w.episode('eth-usd')
      expect(stored?.origin.kind === 'check' && stored.origin.block).toBe(staleBlock)
      // Still stale a few blocks later, not worse by an hour: no second alert.
      for (let i = 0; i < 3; i++) await p.warp(60)
      await new Promise((r) => setTimeout(r, 1500))
      expect(w.alerts().filter((a) => a.title.includes('check eth-usd'))).toHaveLength(1)
      // An hour staler: raised again, once.
      await p.warp(3600)
      const worse = await w.alertOf('eth-usd', 2)
      expect(worse.title).toContain('worse')
      // A new round: resolved, and the episode is closed.
      await p.setPrice(LAB_PRICE)
      const resolved = await w.resolvedOf('eth-usd')
      expect(resolved.text).toContain('recovered')
      expect((await w.episode('eth-usd'))?.status).toBe('resolved')
    } finally {
      await w.bot.stop()
    }
  })

  it('alerts an answer pinned at minAnswer (read through the proxy from its aggregator) and a non-positive one, and resolves them', async () => {
    const p = await freshProtocol(world)
    const w = await watchProtocol(world, p, [feedCheck(p)])
    try {
      await p.setPrice(LAB_BOUNDS.min)
      const alert = await w.alertOf('eth-usd')
      expect(alert.findings.map((f) => f.code)).toEqual(['at-min-answer'])
      await p.setPrice(LAB_PRICE)
      await w.resolvedOf('eth-usd')
      await p.setPrice(0n)
      const zero = await w.alertOf('eth-usd', 2)
      expect(zero.findings.map((f) => f.code)).toContain('non-positive')
    } finally {
      await w.bot.stop()
    }
  })

  it('alerts an answer off from a second source by more than the bound, not one within it, and resolves it', async () => {
    const p = await freshProtocol(world)
    const w = await watchProtocol(world, p, [
      feedCheck(p, { deviation: { against: { feed: p.secondFeed }, maxBps: 200 } }),
    ])
    try {
      await p.setPrice((LAB_PRICE * 101n) / 100n, 'second') // 1% off: within 2%
      await new Promise((r) => setTimeout(r, 1500))
      expect(w.alerts()).toHaveLength(0)
      await p.setPrice((LAB_PRICE * 105n) / 100n, 'second') // 5% off
      const alert = await w.alertOf('eth-usd')
      expect(alert.findings.map((f) => f.code)).toEqual(['deviation'])
      expect(alert.summary).toMatch(/4\d\d\.\d+ bps|476\.19 bps/)
      await p.setPrice(LAB_PRICE, 'second')
      await w.resolvedOf('eth-usd')
    } finally {
      await w.bot.stop()
    }
  })

  it('alerts the L2 sequencer down and then within its grace period, in one episode, resolved once the grace is over', async () => {
    const p = await freshProtocol(world)
    await p.warp(120) // past the grace period since the uptime feed was deployed
    const w = await watchProtocol(world, p, [
      feedCheck(p, { sequencer: { feed: p.sequencer, gracePeriod: 100 } }),
    ])
    try {
      await p.setSequencerDown(true)
      const down = await w.alertOf('eth-usd')
      expect(down.findings.map((f) => f.code)).toEqual(['sequencer-down'])
      await p.setSequencerDown(false)
      // Back up, within the grace period: still broken, the same episode, not raised again.
      await new Promise((r) => setTimeout(r, 1500))
      const episode = await w.episode('eth-usd')
      expect(episode?.status).toBe('pending')
      expect(w.alerts().filter((a) => a.title.includes('check eth-usd'))).toHaveLength(1)
      await p.warp(101)
      await w.resolvedOf('eth-usd')
    } finally {
      await w.bot.stop()
    }
  })

  it('alerts a sequencer that came back less than its grace period ago', async () => {
    const p = await freshProtocol(world)
    await p.warp(120)
    await p.setSequencerDown(true)
    await p.setSequencerDown(false)
    const w = await watchProtocol(world, p, [
      feedCheck(p, { sequencer: { feed: p.sequencer, gracePeriod: 600 } }),
    ])
    try {
      const alert = await w.alertOf('eth-usd')
      expect(alert.findings.map((f) => f.code)).toEqual(['sequencer-grace'])
      await p.warp(601)
      await w.resolvedOf('eth-usd')
    } finally {
      await w.bot.stop()
    }
  })

  it('remembers an open episode across a restart: not alerted again, and resolved by the next process', async () => {
    const p = await freshProtocol(world)
    const dataDir = mkdtempSync(join(tmpdir(), 'custos-protocol-restart-'))
    const first = await watchProtocol(world, p, [feedCheck(p)], { dataDir })
    try {
      await p.warp(3662)
      await first.alertOf('eth-usd')
    } finally {
      await first.bot.stop()
    }
    const second = await watchProtocol(world, p, [feedCheck(p)], { dataDir })
    try {
      for (let i = 0; i < 3; i++) await p.warp(5)
      await new Promise((r) => setTimeout(r, 1500))
      expect(second.alerts()).toHaveLength(0)
      await p.setPrice(LAB_PRICE)
      await second.resolvedOf('eth-usd')
    } finally {
      await second.bot.stop()
    }
  })
})
