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

/** Executes a transaction directly on chain, without the service: an unqueued execution. */
async function executeUnqueued(value: bigint): Promise<Hex> {
  const kit = await world.lab.kit(world.safe, world.owners.A)
  let tx = await kit.createTransaction({
    transactions: [{ to: ATTACKER, value: value.toString(), data: '0x' }],
  })
  tx = await (await world.lab.kit(world.safe, world.owners.B)).signTransaction(await kit.signTransaction(tx))
  const hash = (await kit.getTransactionHash(tx)) as Hex
  await world.lab.public.waitForTransactionReceipt({ hash: (await kit.executeTransaction(tx)).hash as Hex })
  return hash
}
const unqueuedAlerts = () => world.receiver.unique().filter((k) => k.includes(':unqueued:'))

describe('custos run across a restart', () => {
  it('drains and exits 0 on SIGTERM, and after a restart misses no block it was down for', async () => {
    const port = await freePort()
    const bot = botProcess(world.dataDir, world.rawConfig({ server: { port }, logging: { level: 'info' } }))
    bot.start()
    await waitReady(port)
    const first = await executeUnqueued(1n)
    await eventually(
      () => (unqueuedAlerts().some((k) => k.includes(first)) ? true : undefined),
      15_000,
      'the first alert',
    )
    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    expect(bot.output()).toMatch(/"msg":"stopped"/)

    // Down: two executions happen on chain.
    const missed = [await executeUnqueued(2n), await executeUnqueued(3n)]
    await world.lab.test.mine({ blocks: 5 })

    bot.start()
    await eventually(
      () => (missed.every((h) => unqueuedAlerts().some((k) => k.includes(h))) ? true : undefined),
      20_000,
      'the alerts for blocks mined while down',
    )
    expect(unqueuedAlerts()).toHaveLength(3)
    expect(world.receiver.unique().filter((k) => k.includes(first))).toHaveLength(1)
    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null })
  })
})
