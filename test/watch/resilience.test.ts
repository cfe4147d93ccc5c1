import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getAddress, type Hex } from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
let world: World
let bot: Awaited<ReturnType<typeof startBot>> | undefined
beforeAll(async () => {
  world = await startWorld()
})
afterEach(async () => {
  await bot?.stop()
  bot = undefined
  world.service.outage = undefined
})
afterAll(() => world?.stop())

const keysFor = (h: string) => world.receiver.unique().filter((k) => k.includes(h.toLowerCase()))
let nonce = 0

describe('watch loop resilience', () => {
  it('re-checks a proposal whose execution a reorg removed, without alerting twice', async () => {
    bot = await startBot(world)
    const { safeTxHash } = await world.propose(world.owners.A, { to: ATTACKER, value: 5n, nonce })
    await world.confirm(world.owners.B, safeTxHash)
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    await eventually(() => (keysFor(safeTxHash).length ? true : undefined), 15_000, 'the alert')
    const snapshot = await world.lab.test.snapshot()
    const kit = await world.lab.kit(world.safe, world.owners.A)
    const res = await kit.executeTransaction(await world.api.getTransaction(safeTxHash))
    await world.lab.public.waitForTransactionReceipt({ hash: res.hash as Hex })
    await eventually(
      async () => ((await bot?.store.getProposal(id))?.status === 'executed' ? true : undefined),
      15_000,
      'executed',
    )

    await world.lab.test.revert({ id: snapshot }) // the block with the execution is gone
    await world.lab.test.mine({ blocks: 3 })
    await eventually(
      async () => ((await bot?.store.getProposal(id))?.status === 'pending' ? true : undefined),
      15_000,
      'back to pending',
    )
    expect(
      (await bot.store.auditLog(100)).some((a) => a.action === 'reorg-recheck' && a.subject === id),
    ).toBe(true)
    await new Promise((r) => setTimeout(r, 500))
    expect(keysFor(safeTxHash)).toHaveLength(1)
  })

  it('fails over to the next RPC on 429 and counts it', async () => {
    const limited = createServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: 429, message: 'rate limited' } }))
    })
    await new Promise<void>((r) => limited.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(limited.address() as AddressInfo).port}`
    try {
      bot = await startBot(world, {
        chains: {
          [String(world.lab.chainId)]: { rpc: [url, world.lab.rpcUrl], txService: world.service.url },
        },
      })
      nonce++
      const { safeTxHash } = await world.propose(world.owners.A, { to: ATTACKER, value: 6n, nonce })
      await eventually(
        () => (keysFor(safeTxHash).length ? true : undefined),
        20_000,
        'the alert despite the first RPC',
      )
      const metrics = await bot.metrics.registry.metrics()
      expect(
        Number(/custos_rpc_failovers_total\{chain="31337"\} (\d+)/.exec(metrics)?.[1] ?? 0),
      ).toBeGreaterThan(0)
      expect(metrics).toMatch(/custos_rpc_errors_total\{chain="31337",endpoint="0"\} [1-9]/)
    } finally {
      await bot?.stop()
      bot = undefined
      await new Promise((r) => limited.close(r))
    }
  })

  it('raises its own alert, once, when a source falls silent', async () => {
    // Down from the start: no poll can succeed, so there is one outage and one alert however slow
    // the machine is (an outage set after the start can race a first poll that succeeds).
    world.service.outage = 503
    // Earlier bots on this receiver may have raised their own (a first poll that outlasts
    // silentAfterIntervals on a loaded machine): only this bot's count.
    const before = new Set(world.receiver.unique())
    bot = await startBot(world, {
      sources: {
        txService: { intervalSeconds: 1 },
        chainEvents: { intervalSeconds: 1 },
        silentAfterIntervals: 2,
        silentAfterSeconds: 2,
      },
    })
    const silent = () =>
      world.receiver.unique().filter((k) => k.startsWith('silent:tx-service:31337') && !before.has(k))
    await eventually(() => (silent().length ? true : undefined), 15_000, 'the silence alert')
    await new Promise((r) => setTimeout(r, 1500))
    expect(silent()).toHaveLength(1)
    expect(
      world.receiver.accepted().find((r) => r.json.alert.dedupKey === silent()[0])?.json.alert,
    ).toMatchObject({
      level: 'high',
      title: 'HIGH · source silent: transaction service for Treasury (chain 31337)',
    })
  })

  it('does not let one malformed entry from the service hide the others, and says so', async () => {
    bot = await startBot(world)
    nonce++
    const broken = await world.propose(world.owners.A, { to: ATTACKER, value: 8n, nonce })
    world.service.tamper(broken.safeTxHash, { to: 'not an address' })
    nonce++
    const fine = await world.propose(world.owners.A, { to: ATTACKER, value: 9n, nonce })
    await eventually(
      () => (keysFor(fine.safeTxHash).length ? true : undefined),
      15_000,
      'the alert for the valid entry',
    )
    const problem = await eventually(
      () => world.receiver.accepted().find((r) => r.json.alert.dedupKey.includes(':service-problem:')),
      15_000,
      'the service-problem alert',
    )
    expect(problem.json.alert).toMatchObject({ level: 'high' })
    expect(problem.json.alert.summary).toMatch(/to: expected a 20-byte hex address/)
    world.service.remove(broken.safeTxHash)
  })

  it('polls at once on an authenticated push hint, and refuses unauthenticated ones', async () => {
    // Scheduled polls never come in this test: only the push can bring the proposal in.
    const noPolls = () => () => {}
    bot = await startBot(world, { sources: { chainEvents: { enabled: false } } }, noPolls)
    // The one poll made at start must be over before the proposal arrives.
    await eventually(
      () => (bot?.watcher.status().ready.includes(`tx-service:${world.lab.chainId}`) ? true : undefined),
      15_000,
      'the first poll',
    )
    nonce++
    const { safeTxHash } = await world.propose(world.owners.A, { to: ATTACKER, value: 7n, nonce })
    await new Promise((r) => setTimeout(r, 600))
    expect(keysFor(safeTxHash)).toEqual([])
    const post = (token: string, body: unknown) =>
      fetch(`${bot?.server.url}/hooks/safe`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post('wrong', { chainId: world.lab.chainId, address: world.safe })).status).toBe(401)
    expect((await post(bot.token, { chainId: world.lab.chainId, address: ATTACKER })).status).toBe(404)
    expect(
      (
        await post(bot.token, {
          chainId: world.lab.chainId,
          address: world.safe,
          type: 'PENDING_MULTISIG_TRANSACTION',
        })
      ).status,
    ).toBe(202)
    await eventually(
      () => (keysFor(safeTxHash).length ? true : undefined),
      15_000,
      'the alert after the push',
    )
  })
})
