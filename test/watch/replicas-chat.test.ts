import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalPostgres, startPostgres } from '../../src/lab/postgres.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// `/custos status` on a replica: the replicas sharing the store, which one answers, what each
// leads.

const TOKEN = 'discord-bot-token-for-tests'
const ROLE = '700000000000000001'
const ALICE = { id: '800000000000000001', name: 'alice', roles: [ROLE] }

let world: World
let db: LocalPostgres
let discord: FakeDiscord
beforeAll(async () => {
  ;[world, db, discord] = await Promise.all([
    startWorld(),
    startPostgres(),
    startFakeDiscord({ token: TOKEN, roles: [ROLE] }),
  ])
}, 120_000)
afterAll(async () => {
  await discord?.close()
  await db?.stop()
  await world?.stop()
})

describe('/custos status on replicas', () => {
  it('lists the replicas and the sources each leads, marking the one that answers', {
    timeout: 90_000,
  }, async () => {
    const config = {
      store: { driver: 'postgres', leaseSeconds: 3 },
      signers: [{ name: 'alice', address: world.owners.A.address, discord: ALICE.id }],
      notify: {
        console: { enabled: false },
        discord: {
          channelId: discord.channelId,
          guildId: discord.guildId,
          signerRole: ROLE,
          apiUrl: discord.api,
          minLevel: 'low',
        },
      },
    }
    const bot = await startBot(
      world,
      config,
      undefined,
      { DISCORD_TOKEN: TOKEN },
      undefined,
      await openPostgresStore(db.url, { replicaId: 'chatty' }),
    )
    try {
      await eventually(() => (discord.commands.length ? true : undefined), 15_000, 'the commands')
      const content = await eventually(
        async () => {
          const s = discord.slash(ALICE, 'status')
          const answer = await eventually(() => discord.answersTo(s).callbacks[0], 5000, 'status')
          const text = String(answer.data?.content)
          // Until the first lease round, the replica leads nothing yet.
          return /leads /.test(text) ? text : undefined
        },
        30_000,
        'a status naming what the replica leads',
      )
      expect(content).toMatch(/🟢 replica chatty \(this one\) on .* \(pid \d+, [^)]+\): leads .*tx-service/)
    } finally {
      await bot.stop()
    }
  })
})
