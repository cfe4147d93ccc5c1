import { encodeFunctionData, getAddress, type Hex, parseAbi, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareConfig } from '../../src/sources/drift.js'
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
