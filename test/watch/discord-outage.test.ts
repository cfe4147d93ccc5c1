import { encodeFunctionData, getAddress, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import { proposalRef } from '../../src/model/ref.js'
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.js'
import { eventually, recordingLogger, startBot, startWorld, type World } from '../helpers/watch-world.js'

// Discord's gateway refusing logins (its REST API working) must never stop an alert: a failed
// login destroys the discord.js client, which used to clear the token its deliveries used.

const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])
const TOKEN = 'discord-bot-token-for-outage-tests'
const ROLE = '700000000000000001'
const ALICE = { id: '800000000000000001', name: 'alice', roles: [ROLE] }

let world: World
let discord: FakeDiscord
let bot: Awaited<ReturnType<typeof startBot>> | undefined

beforeAll(async () => {
  world = await startWorld()
  await world.lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
  discord = await startFakeDiscord({ token: TOKEN, roles: [ROLE] })
})
afterAll(async () => {
  await bot?.stop()
  await discord?.close()
  await world?.stop()
})

describe('the watch loop while the Discord gateway refuses logins', () => {
  it('posts the alert through REST during the outage, and answers buttons once the gateway is back', {
    timeout: 90_000,
  }, async () => {
    discord.refuseLogins(true)
    const { logger, lines } = recordingLogger()
    bot = await startBot(
      world,
      {
        signers: [{ name: 'alice', address: world.owners.A.address, discord: ALICE.id }],
        notify: {
          console: { enabled: false },
          discord: {
            channelId: discord.channelId,
            guildId: discord.guildId,
            signerRole: ROLE,
            apiUrl: discord.api,
            minLevel: 'low',
            commands: false,
          },
        },
        escalation: { mentionAfterSeconds: 3600 },
      },
      undefined,
      { DISCORD_TOKEN: TOKEN },
      logger,
    )
    // A login refused and given up (the client destroyed) before the alert exists.
    await eventually(
      () => lines.some((l) => l.msg === 'could not connect to the Discord gateway') || undefined,
      15_000,
      'a failed login',
    )
    expect(discord.refusedLogins()).toBeGreaterThan(0)

    const { safeTxHash } = await world.propose(world.owners.A, {
      to: MALICIOUS,
      operation: 1,
      data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 0n] }),
    })
    const message = await eventually(
      () => discord.messages().find((m) => JSON.stringify(m.embeds).includes(safeTxHash.toLowerCase())),
      20_000,
      'the alert on Discord while the gateway refuses logins',
    )
    expect(discord.connected()).toBe(false)
    // Posted at the first attempt: no delivery failed meanwhile (it used to fail with "Expected
    // token to be set for this request" whenever a login had just failed).
    const failures = lines.filter(
      (l) => l.obj.channel === 'discord' && /delivery failed|given up/.test(l.msg),
    )
    expect(failures.map((l) => l.obj.error)).toEqual([])
    expect(String(message.embeds[0]?.title)).toMatch(/^CRITICAL · Treasury/)

    // The gateway comes back: custos logs in again and answers a press on the alert.
    discord.refuseLogins(false)
    await eventually(() => (discord.connected() ? true : undefined), 30_000, 'the gateway connection')
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    const press = discord.press(ALICE, `custos:ack:${proposalRef(id)}`, message.id)
    const answer = await eventually(() => discord.answersTo(press).callbacks[0], 5000, 'the answer')
    expect(answer.type).toBe(7)
    expect(await bot.store.acksFor(id)).toHaveLength(1)
  })
})
