import { encodeFunctionData, getAddress, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import { proposalRef } from '../../src/model/ref.js'
import { pagerDutyDedupKey } from '../../src/respond/pagerduty.js'
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.js'
import { startPagerDutyFake } from '../fakes/pagerduty.js'
import { startSlackFake } from '../fakes/slack.js'
import { startTelegramFake } from '../fakes/telegram.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// The escalation ladder and delivery across restarts, end to end: the watch loop, the real
// discord.js client against the fake Discord, and PagerDuty Events v2 against its fake.

const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])
const TOKEN = 'discord-bot-token-for-ladder-tests'
const ROUTING_KEY = 'R0UT1NGK3Y0000000000000000000000'
const ALICE = { id: '800000000000000001', name: 'alice' }
const BOB = { id: '800000000000000002', name: 'bob' }
const env = { DISCORD_TOKEN: TOKEN, PAGERDUTY_ROUTING_KEY: ROUTING_KEY }

let world: World
let discord: FakeDiscord
let pd: Awaited<ReturnType<typeof startPagerDutyFake>>

const config = (ladder: Record<string, unknown>) => ({
  signers: [
    { name: 'alice', address: world.owners.A.address, discord: ALICE.id },
    { name: 'bob', address: world.owners.B.address, discord: BOB.id },
  ],
  notify: {
    console: { enabled: false },
    webhooks: [{ name: 'ops', url: world.receiver.url, minLevel: 'info' }],
    discord: { channelId: discord.channelId, apiUrl: discord.api, commands: false },
    pagerduty: { url: pd.url },
  },
  escalation: { minLevel: 'high', ...ladder },
})

const proposeCritical = async (nonce: number) => {
  const { safeTxHash } = await world.propose(world.owners.A, {
    to: MALICIOUS,
    operation: 1,
    data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 0n] }),
    nonce,
  })
  return { safeTxHash, id: `${world.lab.chainId}:safe:${safeTxHash}` }
}
const postedFor = (hash: string) =>
  discord.messages().filter((m) => JSON.stringify(m.embeds).includes(hash.toLowerCase()))
const mentionsOf = (messageId: string) =>
  discord.messages().filter((m) => m.message_reference?.message_id === messageId)

beforeAll(async () => {
  world = await startWorld()
  await world.lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
  discord = await startFakeDiscord({ token: TOKEN })
  pd = await startPagerDutyFake({ routingKey: ROUTING_KEY })
})
afterAll(async () => {
  await pd?.close()
  await discord?.close()
  await world?.stop()
})

describe('the escalation ladder', () => {
  it('pages a critical alert at once, mentions and DMs the signers, pages again, and stops on an acknowledgement', async () => {
    const bot = await startBot(
      world,
      config({ mentionAfterSeconds: 1, pageAfterSeconds: 1, repeatAfterSeconds: 1, maxRounds: 2 }),
      undefined,
      env,
    )
    try {
      const { safeTxHash, id } = await proposeCritical(0)
      const key = pagerDutyDedupKey(id)
      const [posted] = await eventually(
        () => (postedFor(safeTxHash).length ? postedFor(safeTxHash) : undefined),
        20_000,
      )
      // A critical alert pages at once (pagerduty.minLevel defaults to critical).
      await eventually(() => pd.accepted().find((e) => e.dedup_key === key && e.event_action === 'trigger'))

      // Unacknowledged after 1 s: every signer is mentioned in the channel, under the alert, and DMed.
      const mention = await eventually(() => mentionsOf(posted?.id as string)[0], 10_000, 'the mention')
      expect(mention.content).toContain(`<@${ALICE.id}>`)
      expect(mention.content).toContain(`<@${BOB.id}>`)
      expect(mention.content).toMatch(/Unacknowledged for \d+ min/)
      expect(mention.allowed_mentions?.users).toEqual([ALICE.id, BOB.id])
      await eventually(() =>
        discord.dms.filter((d) => d.content.includes('Unacknowledged')).length >= 2 ? true : undefined,
      )

      // Then the page rung: another trigger on the same incident (one dedup_key per proposal).
      await eventually(
        () => ((pd.incidents.get(key)?.alerts ?? 0) >= 2 ? true : undefined),
        10_000,
        'the page',
      )
      expect(pd.incidents.size).toBe(1)

      // Alice acknowledges: the incident is resolved and the ladder stops.
      discord.press(ALICE, `custos:ack:${proposalRef(id)}`, posted?.id as string)
      await eventually(
        () => (pd.incidents.get(key)?.status === 'resolved' ? true : undefined),
        10_000,
        'the resolve',
      )
      const resolve = pd.accepted().find((e) => e.dedup_key === key && e.event_action === 'resolve')
      expect(resolve).toBeDefined()
      expect((await bot.store.getEscalation(id))?.status).toBe('acknowledged')
      // A rung climbed just before the acknowledgement may still be on its way to Discord (the
      // resolve goes out on another channel): count once everything queued is delivered.
      await eventually(
        async () => ((await bot.store.outboxDepth()) === 0 ? true : undefined),
        10_000,
        'the outbox',
      )
      const mentions = mentionsOf(posted?.id as string).length
      await new Promise((r) => setTimeout(r, 2500))
      expect(mentionsOf(posted?.id as string).length).toBe(mentions)
      const audit = (await bot.store.auditLog(100)).filter((a) => a.subject === id).map((a) => a.action)
      expect(audit).toEqual(
        expect.arrayContaining(['escalation-mentioned', 'escalation-paged', 'acknowledged']),
      )

      // Bob presses Escalate on the acknowledged (and by now exhausted) ladder: a new one starts,
      // mentions at once and pages again; a second acknowledgement resolves the page again.
      const resolves = () =>
        pd.accepted().filter((e) => e.dedup_key === key && e.event_action === 'resolve').length
      const before = { mentions: mentionsOf(posted?.id as string).length, resolves: resolves() }
      discord.press(BOB, `custos:escalate:${proposalRef(id)}`, posted?.id as string)
      await eventually(
        () => (mentionsOf(posted?.id as string).length > before.mentions ? true : undefined),
        10_000,
        'a new mention',
      )
      await eventually(
        () => (pd.incidents.get(key)?.status === 'triggered' ? true : undefined),
        10_000,
        'a new page',
      )
      discord.press(ALICE, `custos:ack:${proposalRef(id)}`, posted?.id as string)
      await eventually(() => (resolves() > before.resolves ? true : undefined), 10_000, 'the second resolve')
      expect(pd.incidents.get(key)?.status).toBe('resolved')
      expect(await bot.store.acksFor(id)).toHaveLength(1) // alice once, however often she presses
    } finally {
      await bot.stop()
    }
  })

  it('keeps its timers across a restart', async () => {
    const ladder = { mentionAfterSeconds: 4, pageAfterSeconds: 600, repeatAfterSeconds: 600, maxRounds: 1 }
    const first = await startBot(world, config(ladder), undefined, env)
    const { safeTxHash, id } = await proposeCritical(1)
    const [posted] = await eventually(
      () => (postedFor(safeTxHash).length ? postedFor(safeTxHash) : undefined),
      20_000,
    )
    const row = await eventually(async () => first.store.getEscalation(id))
    await first.stop()
    expect(mentionsOf(posted?.id as string)).toHaveLength(0)
    // Down past the deadline; the next start climbs the stored ladder without a new report.
    while (Date.now() < row.nextAt + 200) await new Promise((r) => setTimeout(r, 100))
    const second = await startBot(world, config(ladder), undefined, env)
    try {
      await eventually(() => mentionsOf(posted?.id as string)[0], 10_000, 'the mention after the restart')
      expect((await second.store.getEscalation(id))?.stage).toBe('mentioned')
    } finally {
      await second.stop()
    }
  })
})

describe('delivery across an outage and a restart', () => {
  it('delivers the alert once when Discord comes back after custos restarted', async () => {
    const ladder = { mentionAfterSeconds: 3600 }
    discord.setRestDown(true)
    const first = await startBot(world, config(ladder), undefined, env)
    const { safeTxHash, id } = await proposeCritical(2)
    await eventually(async () => first.store.latestReport(id), 20_000, 'the report')
    // Discord refused at least once (503); the alert waits in the outbox.
    await eventually(
      () =>
        discord.requests.some((r) => r.method === 'POST' && /\/channels\/\d+\/messages$/.test(r.path))
          ? true
          : undefined,
      10_000,
    )
    await first.stop()
    expect(postedFor(safeTxHash)).toHaveLength(0)

    discord.setRestDown(false)
    const second = await startBot(world, config(ladder), undefined, env)
    try {
      await eventually(
        () => (postedFor(safeTxHash).length ? true : undefined),
        20_000,
        'the delivery after restart',
      )
      // Recorded once Discord answered the post (after the fake saw it): waited for, then counted.
      await eventually(
        async () => ((await second.store.messagesFor(id, 'discord')).length ? true : undefined),
        10_000,
        'the posted message recorded',
      )
      await new Promise((r) => setTimeout(r, 1000))
      expect(postedFor(safeTxHash)).toHaveLength(1)
      expect(await second.store.messagesFor(id, 'discord')).toHaveLength(1)
    } finally {
      await second.stop()
    }
  })
})

describe('Telegram and Slack through the watch loop', () => {
  it('posts to both, takes a signer’s press from Telegram, refuses a stranger’s, and redraws the message', async () => {
    const telegram = await startTelegramFake({ token: '42:telegram-token' })
    const slack = await startSlackFake()
    const base = config({ mentionAfterSeconds: 3600 })
    const bot = await startBot(
      world,
      {
        ...base,
        signers: [{ name: 'alice', address: world.owners.A.address, telegram: 1001 }],
        notify: {
          ...base.notify,
          telegram: { chatId: -100123, apiUrl: telegram.apiUrl, callbacks: true, minLevel: 'high' },
          slack: [{ name: 'security', url: slack.url, minLevel: 'high' }],
        },
      },
      undefined,
      { ...env, TELEGRAM_BOT_TOKEN: '42:telegram-token' },
    )
    try {
      const { safeTxHash, id } = await proposeCritical(3)
      const sent = await eventually(
        () => [...telegram.messages.values()].find((m) => m.text.includes(safeTxHash.toLowerCase())),
        20_000,
        'the Telegram message',
      )
      expect(sent.text).toMatch(/CRITICAL · Treasury · nonce 3/)
      const buttons = sent.replyMarkup?.inline_keyboard?.flat() ?? []
      expect(buttons.map((b) => b.text)).toEqual(['Acknowledge', 'Escalate', 'Veto', 'Report'])
      await eventually(() =>
        slack.posted().find((m) => JSON.stringify(m).includes('CRITICAL · Treasury · nonce 3')),
      )

      const stranger = telegram.press({ userId: 666, data: `custos:ack:${proposalRef(id)}` })
      const refusal = await eventually(() =>
        telegram.answers.find((a) => a.callback_query_id === stranger.query.id),
      )
      expect(refusal).toMatchObject({ show_alert: true, text: expect.stringMatching(/Only the signers/) })

      const alice = telegram.press({ userId: 1001, username: 'alice', data: `custos:ack:${proposalRef(id)}` })
      await eventually(() => telegram.answers.find((a) => a.callback_query_id === alice.query.id))
      expect(await bot.store.acksFor(id)).toEqual([
        expect.objectContaining({ channel: 'telegram', signer: world.owners.A.address }),
      ])
      await eventually(
        () => (sent.edits > 0 && /Acknowledged by alice/.test(sent.text) ? true : undefined),
        10_000,
        'the edit',
      )
      // Slack cannot edit: the acknowledgement arrives as a line naming the Safe and nonce.
      await eventually(() =>
        slack.posted().find((m) => JSON.stringify(m).includes('Treasury nonce 3: acknowledged by alice')),
      )
    } finally {
      await bot.stop()
      await telegram.close()
      await slack.close()
    }
  })
})
