import { encodeFunctionData, getAddress, type Hex, parseAbi, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/model/logger.js'
import type { WorkBatch } from '../../src/model/store.js'
import { act, type WatchContext } from '../../src/pipeline/context.js'
import { driftWork } from '../../src/pipeline/health.js'
import { compareConfig } from '../../src/sources/drift.js'
import { createRpcClient } from '../../src/sources/rpc.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
let world: World
let bot: Awaited<ReturnType<typeof startBot>>
beforeAll(async () => {
  world = await startWorld()
  const { A, B, C } = world.owners
  bot = await startBot(world, {
    safes: [
      {
        address: world.safe,
        chainId: world.lab.chainId,
        name: 'Treasury',
        expected: {
          owners: [A.address, B.address, C.address],
          threshold: 2,
          guard: zeroAddress,
          modules: [],
        },
      },
    ],
  })
})
afterAll(async () => {
  await bot?.stop()
  await world?.stop()
})

describe('configuration drift and on-chain changes', () => {
  it('alerts when the chain no longer matches the expected configuration, and on the change itself', async () => {
    const kit = await world.lab.kit(world.safe, world.owners.A)
    const data = encodeFunctionData({
      abi: parseAbi(['function changeThreshold(uint256 _threshold)']),
      functionName: 'changeThreshold',
      args: [1n],
    })
    let tx = await kit.createTransaction({ transactions: [{ to: world.safe, value: '0', data }] })
    tx = await (await world.lab.kit(world.safe, world.owners.B)).signTransaction(
      await kit.signTransaction(tx),
    )
    await world.lab.public.waitForTransactionReceipt({ hash: (await kit.executeTransaction(tx)).hash as Hex })
    const drift = await eventually(
      () => world.receiver.accepted().find((r) => r.json.alert.dedupKey.includes(':drift:')),
      15_000,
      'the drift alert',
    )
    expect(drift.json.alert).toMatchObject({
      level: 'high',
      title: 'HIGH · Treasury · configuration drift',
      summary: 'threshold: expected 2, found 1',
    })
    const change = await eventually(
      () => world.receiver.accepted().find((r) => r.json.alert.dedupKey.includes(':config:')),
      15_000,
      'the change alert',
    )
    expect(change.json.alert.summary).toMatch(/^ChangedThreshold\(1\)/)
    await new Promise((r) => setTimeout(r, 800))
    expect(world.receiver.unique().filter((k) => k.includes(':drift:'))).toHaveLength(1)
  })

  it('records a proposal removed from the service', async () => {
    const { safeTxHash } = await world.propose(world.owners.A, { to: ATTACKER, value: 1n, nonce: 1 })
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    await eventually(async () => (await bot.store.getProposal(id)) ?? undefined, 15_000, 'the proposal')
    world.service.remove(safeTxHash)
    await eventually(
      async () => ((await bot.store.getProposal(id))?.status === 'deleted' ? true : undefined),
      15_000,
      'deleted',
    )
    // Stored, then delivered: the alert comes through the outbox after the commit.
    await eventually(
      () => (world.receiver.unique().includes(`${id}:deleted`) ? true : undefined),
      15_000,
      'the removal alert',
    )
  })
})

describe('compareConfig', () => {
  it.each([
    [{ threshold: 2 }, { threshold: 2 }, []],
    [{ owners: ['0xaaaa000000000000000000000000000000000001'] }, {}, []],
    [{ threshold: 3 }, {}, ['threshold']],
    [{ guard: zeroAddress }, { guard: ATTACKER }, ['guard']],
    [{ modules: [] }, { modules: [ATTACKER] }, ['modules']],
  ] as const)('%j vs %j', (expected, actual, fields) => {
    const base = {
      owners: ['0xAAAA000000000000000000000000000000000001' as const],
      threshold: 2,
      guard: zeroAddress,
      modules: [],
      fallbackHandler: zeroAddress,
      singleton: zeroAddress,
    }
    expect(compareConfig(expected as never, { ...base, ...actual } as never).map((d) => d.field)).toEqual(
      fields,
    )
  })
})

describe('two drift checks of one Safe at the same time', () => {
  it('start one episode and alert the drift once (the drift job and a re-check a chain event started)', async () => {
    const { A, B, C } = world.owners
    const rt = world.runtime({
      safes: [
        {
          address: world.safe,
          chainId: world.lab.chainId,
          name: 'Treasury',
          expected: { owners: [A.address, B.address, C.address], threshold: 3, modules: [] },
        },
      ],
    })
    const store = openSqliteStore(':memory:')
    let now = Date.parse('2026-12-02T00:00:00Z')
    const ctx = {
      config: rt.config,
      targets: rt.targets,
      store,
      logger: silentLogger,
      notifiers: [{ channel: 'hook', minLevel: 'low', deliver: async () => undefined }],
      // Each check reads its own time: their episodes would differ by a millisecond.
      clock: () => now++,
      client: () => createRpcClient([world.lab.rpcUrl]),
      commit: async (batch: WorkBatch) => ({ applied: (await store.commit(batch)).applied }),
    } as unknown as WatchContext
    const [safe] = rt.targets.ofKind('safe')
    if (!safe) throw new Error('no Safe')
    // Both read the episode before either commits.
    const works = await Promise.all([driftWork(ctx, safe), driftWork(ctx, safe)])
    expect(works.map((w) => w.batch.outbox?.length)).toEqual([1, 1])
    for (const w of works) await act(ctx, w)
    const queued = await store.dueOutbox(Number.MAX_SAFE_INTEGER, 10)
    expect(queued.map((r) => (r.payload as { title: string }).title)).toEqual([
      'HIGH · Treasury · configuration drift',
    ])
    expect((await store.auditLog(10)).filter((a) => a.action === 'config-drift')).toHaveLength(1)
    await store.close()
  })
})
