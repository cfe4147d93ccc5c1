import { getAddress, type Hex } from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '../../src/model/store.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// The poller reads the Safe's nonce from the chain, then the service's pending list from that
// nonce. An execution landing between the two reads takes the transaction off the list (the
// service lists executed ones no more) while the nonce read says it is still to come.

const RECIPIENT = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
let world: World
let bot: Awaited<ReturnType<typeof startBot>> | undefined
beforeAll(async () => {
  world = await startWorld()
})
afterEach(async () => {
  world.service.beforeList = undefined
  await bot?.stop()
  bot = undefined
})
afterAll(() => world?.stop())

/** Proposes and confirms a payment at `nonce`, and waits until custos stored it. */
async function queued(store: Store, nonce: number) {
  const { safeTxHash } = await world.propose(world.owners.A, { to: RECIPIENT, value: 7n, nonce })
  await world.confirm(world.owners.B, safeTxHash)
  const id = `${world.lab.chainId}:safe:${safeTxHash}`
  await eventually(async () => (await store.getProposal(id)) ?? undefined, 15_000, 'the proposal')
  return { safeTxHash, id }
}

/** Executes the queued transaction on chain, signed by A and B, as A. */
async function execute(safeTxHash: Hex): Promise<void> {
  const kit = await world.lab.kit(world.safe, world.owners.A)
  const res = await kit.executeTransaction(await world.api.getTransaction(safeTxHash))
  await world.lab.public.waitForTransactionReceipt({ hash: res.hash as Hex })
}

describe('an execution between the nonce read and the list read', () => {
  it('is not taken for a transaction removed from the service (the poll alone)', async () => {
    // Without the chain events, only the poll can close the proposal: what it decides is all there is.
    bot = await startBot(world, {
      sources: { txService: { intervalSeconds: 1 }, chainEvents: { enabled: false } },
    })
    const { store } = bot
    const { safeTxHash, id } = await queued(store, 0)
    // The next list request of custos comes after it read nonce 0: the transaction executes first.
    const lists: number[] = []
    world.service.beforeList = async () => {
      lists.push(Date.now())
      if (lists.length === 1) await execute(safeTxHash)
    }
    // A second list request means the poll that saw the race has finished (polls of a Safe never overlap).
    await eventually(() => (lists.length >= 2 ? true : undefined), 15_000, 'the poll after the race')
    world.service.beforeList = undefined
    const audit = (await store.auditLog(200)).filter((a) => a.subject === id).map((a) => a.action)
    expect(audit).not.toContain('proposal-deleted')
    expect(world.receiver.unique()).not.toContain(`${id}:deleted`)
  })

  it('is closed as executed by the chain events, with no removal on the way', async () => {
    bot = await startBot(world)
    const { store } = bot
    const { safeTxHash, id } = await queued(store, 1)
    world.service.beforeList = async () => {
      world.service.beforeList = undefined
      await execute(safeTxHash)
    }
    await eventually(
      async () => ((await store.getProposal(id))?.status === 'executed' ? true : undefined),
      15_000,
      'executed',
    )
    const audit = (await store.auditLog(200)).filter((a) => a.subject === id).map((a) => a.action)
    expect(audit).toContain('executed')
    expect(audit).not.toContain('proposal-deleted')
    // Updates about one proposal go out in order on a channel: none said "deleted" before this one.
    await eventually(
      () =>
        world.receiver
          .others()
          .find((r) => r.json.update?.proposalId === id && r.json.update.event === 'executed'),
      15_000,
      'the executed update',
    )
    expect(
      world.receiver
        .others()
        .filter((r) => r.json.update?.proposalId === id && r.json.update.event === 'deleted'),
    ).toEqual([])
  })
})
