import { encodeFunctionData, getAddress, type Hex, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import type { Alert } from '../../src/model/alert.js'
import { silentLogger } from '../../src/model/logger.js'
import { proposalRef } from '../../src/model/ref.js'
import { createDiscord } from '../../src/respond/discord.js'
import { freePort } from '../../src/simulate/anvil.js'
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.js'
import { eventually, recordingLogger, startBot, startWorld, type World } from '../helpers/watch-world.js'

const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])
const TOKEN = 'discord-bot-token-for-tests'
const ROLE = '700000000000000001'
const ALICE = { id: '800000000000000001', name: 'alice', roles: [ROLE] }
const BOB = { id: '800000000000000002', name: 'bob', roles: [ROLE] }
const MALLORY = { id: '800000000000000666', name: 'mallory', roles: [ROLE] }

let world: World
let discord: FakeDiscord
let bot: Awaited<ReturnType<typeof startBot>>

const config = () => ({
  signers: [
    { name: 'alice', address: world.owners.A.address, discord: ALICE.id },
    { name: 'bob', address: world.owners.B.address, discord: BOB.id },
  ],
  notify: {
    console: { enabled: false },
    webhooks: [{ name: 'ops', url: world.receiver.url, minLevel: 'info' }],
    discord: {
      channelId: discord.channelId,
      guildId: discord.guildId,
      signerRole: ROLE,
      apiUrl: discord.api,
      minLevel: 'low',
    },
  },
  // Long enough that the ladder does not climb during these tests (escalation.test.ts climbs it).
  escalation: { mentionAfterSeconds: 3600 },
})

beforeAll(async () => {
  world = await startWorld()
  await world.lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
  discord = await startFakeDiscord({ token: TOKEN, roles: [ROLE] })
  bot = await startBot(world, config(), undefined, { DISCORD_TOKEN: TOKEN })
  await eventually(() => (discord.commands.length ? true : undefined), 15_000, 'the gateway and the commands')
})
afterAll(async () => {
  await bot?.stop()
  await discord?.close()
  await world?.stop()
})

const messageFor = (hash: string) =>
  discord.messages().find((m) => JSON.stringify(m.embeds).includes(hash.toLowerCase()))

let critical: { safeTxHash: Hex; id: string; messageId: string }

describe('Discord, through the real discord.js client against a fake Discord on loopback', () => {
  it('registers /custos in the guild', () => {
    const [registered] = discord.commands
    expect(registered?.route).toBe(`/applications/${discord.appId}/guilds/${discord.guildId}/commands`)
    const names = ((registered?.body ?? []) as Array<{ name: string; options: Array<{ name: string }> }>)[0]
    expect(names?.name).toBe('custos')
    expect(names?.options.map((o) => o.name)).toEqual(['status', 'report', 'silence', 'unsilence'])
  })

  it('posts a critical proposal as an embed with the hashes, the findings, and the buttons', async () => {
    const { safeTxHash } = await world.propose(world.owners.A, {
      to: MALICIOUS,
      operation: 1,
      data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 0n] }),
    })
    const msg = await eventually(() => messageFor(safeTxHash), 20_000, 'the Discord message')
    const embed = msg.embeds[0] as {
      title: string
      description: string
      color: number
      url: string
      fields: Array<{ name: string; value: string }>
    }
    expect(embed.title).toMatch(/^CRITICAL · Treasury · nonce 0/)
    expect(embed.description).toMatch(/DELEGATECALL/)
    expect(embed.color).toBe(0xe74c3c)
    expect(embed.fields.find((f) => f.name === 'Hashes')?.value).toContain(safeTxHash.toLowerCase())
    expect(embed.fields.find((f) => f.name.startsWith('Findings'))?.value).toContain('delegatecall-untrusted')
    expect(embed.fields.find((f) => f.name === 'Safe changes')?.value).toMatch(/singleton/)
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    const buttons = msg.components[0]?.components ?? []
    expect(buttons.map((b) => b.label)).toEqual(['Acknowledge', 'Escalate', 'Veto', 'Report'])
    expect(buttons[0]?.custom_id).toBe(`custos:ack:${proposalRef(id)}`)
    expect(buttons[3]).toMatchObject({ style: 5, url: `${bot.server.url}/reports/${encodeURIComponent(id)}` })
    expect(msg.nonce).toBeDefined() // enforce_nonce: a crash before recording cannot post twice
    critical = { safeTxHash, id, messageId: msg.id }
    // The message is recorded for later edits.
    await eventually(async () =>
      (await bot.store.messagesFor(id, 'discord')).length === 1 ? true : undefined,
    )
  })

  it('refuses a press from someone who is not a listed signer, ephemerally, and records nothing', async () => {
    const interaction = discord.press(MALLORY, `custos:ack:${proposalRef(critical.id)}`, critical.messageId)
    const answer = await eventually(() => discord.answersTo(interaction).callbacks[0], 5000, 'the refusal')
    expect(answer.type).toBe(4) // CHANNEL_MESSAGE_WITH_SOURCE
    expect(answer.data?.flags).toBe(64) // ephemeral
    expect(String(answer.data?.content)).toMatch(/Only the signers/)
    expect(answer.latencyMs).toBeLessThan(3000)
    expect(await bot.store.acksFor(critical.id)).toHaveLength(0)
    const audit = await bot.store.auditLog(20)
    expect(audit.find((a) => a.action === 'chat-refused')).toMatchObject({ actor: `discord:${MALLORY.id}` })
  })

  it('refuses a listed signer without the signer role', async () => {
    const interaction = discord.press(
      { ...BOB, roles: [] },
      `custos:veto:${proposalRef(critical.id)}`,
      critical.messageId,
    )
    const answer = await eventually(() => discord.answersTo(interaction).callbacks[0], 5000, 'the refusal')
    expect(String(answer.data?.content)).toMatch(/signer role/)
    expect(await bot.store.vetoRequestsFor(critical.id)).toHaveLength(0)
  })

  it('accepts a signer’s acknowledgement: recorded with the Discord user and signer address, message edited', async () => {
    const interaction = discord.press(ALICE, `custos:ack:${proposalRef(critical.id)}`, critical.messageId)
    const answer = await eventually(() => discord.answersTo(interaction).callbacks[0], 5000, 'the answer')
    expect(answer.type).toBe(7) // UPDATE_MESSAGE: the pressed message shows who acknowledged
    expect(answer.latencyMs).toBeLessThan(3000)
    const acks = await bot.store.acksFor(critical.id)
    expect(acks).toEqual([
      expect.objectContaining({
        signer: world.owners.A.address,
        channel: 'discord',
        actor: `alice via discord:${ALICE.id}`,
      }),
    ])
    const audit = (await bot.store.auditLog(20)).find((a) => a.action === 'acknowledged')
    expect(audit).toMatchObject({
      subject: critical.id,
      details: { user: ALICE.id, signer: world.owners.A.address },
    })
    const msg = discord.messages().find((m) => m.id === critical.messageId)
    const status = ((msg?.embeds[0]?.fields ?? []) as Array<{ name: string; value: string }>).find(
      (f) => f.name === 'Status',
    )
    expect(status?.value).toMatch(/Acknowledged by alice \(0x/)
    // The ladder stops: acknowledged.
    expect((await bot.store.getEscalation(critical.id))?.status).toBe('acknowledged')
    // And every channel that takes updates hears of it.
    await eventually(() =>
      world.receiver
        .others()
        .find((r) => r.json.update?.event === 'acknowledged' && r.json.update.proposalId === critical.id),
    )
  })

  it('ignores a replayed interaction: no second answer, nothing recorded twice', async () => {
    const interaction = discord.press(BOB, `custos:veto:${proposalRef(critical.id)}`, critical.messageId)
    const answer = await eventually(() => discord.answersTo(interaction).callbacks[0], 5000, 'the answer')
    // Answered at once: the message is redrawn, and what custos did about the veto is said to
    // the presser (here: nothing, vetoes are off), as a deferred answer says it.
    expect(answer.type).toBe(7)
    const said = await eventually(() => discord.answersTo(interaction).followUps[0], 5000, 'the outcome')
    expect(said.body.flags).toBe(64)
    expect(String(said.body.content)).toMatch(
      /^Veto request recorded for bob\. custos did not send a veto \(/,
    )
    discord.replay(interaction)
    discord.replay(interaction)
    await new Promise((r) => setTimeout(r, 500))
    expect(discord.answersTo(interaction).callbacks).toHaveLength(1)
    expect(await bot.store.vetoRequestsFor(critical.id)).toHaveLength(1)
    const msg = discord.messages().find((m) => m.id === critical.messageId)
    expect(JSON.stringify(msg?.embeds)).toMatch(/Veto requested by bob/)
  })

  it('answers /custos status and /custos report', async () => {
    const nosy = discord.slash(MALLORY, 'status')
    const refused = await eventually(() => discord.answersTo(nosy).callbacks[0], 5000, 'refusal')
    expect(String(refused.data?.content)).toMatch(/Only the signers/) // pending proposals are not for everyone
    const s = discord.slash(ALICE, 'status')
    const status = await eventually(() => discord.answersTo(s).callbacks[0], 5000, 'status')
    expect(status.data?.flags).toBe(64)
    expect(String(status.data?.content)).toMatch(/watching 1 Safe/)
    expect(String(status.data?.content)).toMatch(/pending/)
    expect(String(status.data?.content)).toMatch(/chain \d+: block \d+/)
    const r = discord.slash(ALICE, 'report', { id: critical.safeTxHash })
    const report = await eventually(() => discord.answersTo(r).callbacks[0], 5000, 'report')
    expect(String(report.data?.content)).toMatch(/\*\*critical\*\*/)
    expect(((report.data?.embeds ?? []) as Array<{ title: string }>)[0]?.title).toMatch(
      /^CRITICAL · Treasury/,
    )
    const missing = discord.slash(ALICE, 'report', { id: '0x1234' })
    expect(String((await eventually(() => discord.answersTo(missing).callbacks[0])).data?.content)).toMatch(
      /No report/,
    )
  })

  it('lets signers (only) silence and unsilence a Safe, audited, and a silence mutes alerts below critical', async () => {
    const refused = discord.slash(MALLORY, 'silence', { target: 'Treasury', duration: '1h' })
    expect(String((await eventually(() => discord.answersTo(refused).callbacks[0])).data?.content)).toMatch(
      /Only the signers/,
    )
    expect(await bot.store.activeSilences(Date.now())).toHaveLength(0)

    const bad = discord.slash(ALICE, 'silence', { target: 'Treasury', duration: 'forever' })
    expect(String((await eventually(() => discord.answersTo(bad).callbacks[0])).data?.content)).toMatch(
      /not a duration/,
    )

    const ok = discord.slash(ALICE, 'silence', { target: 'treasury', duration: '2h' })
    const answer = await eventually(() => discord.answersTo(ok).callbacks[0])
    expect(answer.data?.flags).toBeUndefined() // public: the other signers see it
    expect(String(answer.data?.content)).toMatch(/Treasury silenced until .* by alice/)
    const [silence] = await bot.store.activeSilences(Date.now())
    expect(silence?.until).toBeGreaterThan(Date.now() + 7_000_000)

    // A medium-risk proposal (a plain transfer to an unknown address is not critical) is stored, not posted.
    const before = discord.messages().length
    const { safeTxHash } = await world.propose(world.owners.B, { to: ATTACKER, value: 10n ** 18n, nonce: 1 })
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    const stored = await eventually(async () => bot.store.latestReport(id), 20_000, 'the report')
    expect(stored.level).not.toBe('critical')
    const audit = (await bot.store.auditLog(50)).find((a) => a.action === 'report' && a.subject === id)
    expect(audit?.details).toMatchObject({
      actions: ['log'],
      reason: expect.stringMatching(/^silenced until/),
    })
    expect(discord.messages().length).toBe(before)

    const un = discord.slash(BOB, 'unsilence', { target: world.safe })
    expect(String((await eventually(() => discord.answersTo(un).callbacks[0])).data?.content)).toMatch(
      /no longer silenced \(bob\)/,
    )
    expect(await bot.store.activeSilences(Date.now())).toHaveLength(0)
    // The proposal held back during the silence is judged again and posted now.
    await eventually(() => messageFor(safeTxHash), 20_000, 'the held alert after the silence')
    const actions = (await bot.store.auditLog(50)).map((a) => a.action)
    expect(actions).toContain('silenced')
    expect(actions).toContain('unsilenced')
  })

  it('updates every message about a proposal when it executes: buttons gone, status shown', async () => {
    const kit = await world.lab.kit(world.safe, world.owners.A)
    await world.confirm(world.owners.B, critical.safeTxHash)
    const tx = await world.api.getTransaction(critical.safeTxHash)
    const res = await kit.executeTransaction(tx)
    await world.lab.public.waitForTransactionReceipt({ hash: res.hash as Hex })
    const msg = await eventually(
      () => {
        const m = discord.messages().find((x) => x.id === critical.messageId)
        return m && JSON.stringify(m.embeds).includes('Executed on chain') ? m : undefined
      },
      20_000,
      'the edited message',
    )
    expect(msg.components[0]?.components.map((b) => b.label)).toEqual(['Report'])
    expect((msg.embeds[0] as { color: number }).color).toBe(0x95a5a6)
    // A press on the closed proposal is refused.
    const late = discord.press(BOB, `custos:ack:${proposalRef(critical.id)}`, critical.messageId)
    expect(String((await eventually(() => discord.answersTo(late).callbacks[0])).data?.content)).toMatch(
      /already executed/,
    )
  })
})

describe('the Discord notifier on its own', () => {
  const alert = (dedupKey: string, over: Partial<Alert> = {}): Alert => ({
    kind: 'report',
    level: 'high',
    title: `HIGH · Treasury · ${dedupKey}`,
    summary: 'sends 1 ETH',
    findings: [],
    dedupKey,
    createdAt: new Date(0).toISOString(),
    ...over,
  })
  const chat = {
    state: async () => ({ status: undefined, acks: [], vetoRequests: [] }),
    messages: async () => [],
  }
  const make = () =>
    createDiscord({
      token: TOKEN,
      channelId: discord.channelId,
      apiUrl: discord.api,
      minLevel: 'low',
      registerCommands: false,
      chat,
      logger: silentLogger,
    })

  it('waits out a short 429 retry_after itself and posts once', async () => {
    const d = make()
    discord.rateLimit(/^POST \/channels\/\d+\/messages$/, 1.2)
    const t0 = Date.now()
    const receipt = await d.notifier.deliver(alert('rl-short'), 1)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1100)
    expect(receipt?.ref).toMatch(/^\d+:\d+$/)
    expect(discord.messages().filter((m) => JSON.stringify(m.embeds).includes('rl-short'))).toHaveLength(1)
    await d.stop()
  })

  it('hands a long retry_after back to the outbox as the delay before the next attempt', async () => {
    const d = make()
    discord.rateLimit(/^POST \/channels\/\d+\/messages$/, 30)
    const error = await d.notifier.deliver(alert('rl-long'), 1).catch((e) => e)
    expect(error.name).toBe('DeliveryError')
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(29_000)
    expect(error.permanent).toBe(false)
    await d.stop()
  })

  it('posts a repeat of the same alert once (enforce_nonce), as after a crash before recording it', async () => {
    const d = make()
    const first = await d.notifier.deliver(alert('twice'), 1)
    const second = await d.notifier.deliver(alert('twice'), 2)
    expect(second?.ref).toBe(first?.ref)
    expect(discord.messages().filter((m) => JSON.stringify(m.embeds).includes('twice'))).toHaveLength(1)
    await d.stop()
  })

  it('never fails on size: a huge alert is cut to Discord’s limits', async () => {
    const d = make()
    const huge = alert('huge', {
      title: 'T'.repeat(1000),
      summary: `${'x'.repeat(10_000)} @everyone`,
      findings: Array.from({ length: 500 }, (_, i) => ({
        severity: 'high',
        guard: 'g',
        code: `c${i}`,
        message: 'm'.repeat(500),
      })),
      assetChanges: Array.from({ length: 300 }, (_, i) => `${i} ETH → 0x${'ab'.repeat(20)}`),
      safeChanges: Array.from({ length: 300 }, () => 'owners +0x…'),
      hashes: {
        safeTxHash: `0x${'1'.repeat(64)}`,
        domainHash: `0x${'2'.repeat(64)}`,
        messageHash: `0x${'3'.repeat(64)}`,
      },
      link: 'http://127.0.0.1:8080/reports/1',
    })
    const receipt = await d.notifier.deliver(huge, 1)
    expect(receipt).toBeDefined() // the fake answers 400 to anything over a limit
    const msg = discord.messages().find((m) => String(m.embeds[0]?.title).startsWith('TTT'))
    expect(String(msg?.embeds[0]?.title)).toHaveLength(256)
    expect(String(msg?.embeds[0]?.description)).not.toContain('@everyone')
    expect(JSON.stringify(msg?.embeds)).toMatch(/more/)
    await d.stop()
  })

  it('keeps untrusted text that looks like a link or a mention as text', async () => {
    const d = make()
    await d.notifier.deliver(
      alert('defang', {
        assetChanges: ['1000 https://claim.xyz: 0xSafe → 0xBob'],
        summary: 'calls <@&123> 1.5',
      }),
      1,
    )
    const msg = discord.messages().find((m) => JSON.stringify(m.embeds).includes('HIGH · Treasury · defang'))
    const fields = (msg?.embeds[0]?.fields ?? []) as Array<{ name: string; value: string }>
    const moves = fields.find((f) => f.name === 'Moves')
    expect(moves?.value).not.toContain('https://claim')
    expect(moves?.value).toContain('claim\u200b.xyz')
    expect(String(msg?.embeds[0]?.description)).toContain('\\<@\u200b&123\\>')
    expect(String(msg?.embeds[0]?.description)).toContain('1.5')
    await d.stop()
  })

  it('gives up at once on a body Discord calls invalid, and retries an outage', async () => {
    const d = make()
    const invalid = await d.notifier.deliver(alert('bad', { link: 'ftp://nope' }), 1).then(
      () => undefined,
      (e) => e,
    )
    // An ftp link is dropped rather than sent (Discord would refuse the message).
    expect(invalid).toBeUndefined()
    discord.setRestDown(true)
    const down = await d.notifier.deliver(alert('down'), 1).catch((e) => e)
    discord.setRestDown(false)
    expect(down.name).toBe('DeliveryError')
    expect(down.permanent).toBe(false)
    expect(down.message).not.toContain(TOKEN)
    await d.stop()
  })
})

describe('the Discord gateway side on its own', () => {
  // A Discord of its own: the watch loop's client above would answer these presses too.
  let discord: FakeDiscord
  beforeAll(async () => {
    discord = await startFakeDiscord({ token: TOKEN })
  })
  afterAll(() => discord?.close())
  const alert: Alert = {
    kind: 'report',
    level: 'critical',
    title: 'CRITICAL · Treasury · nonce 7',
    summary: 'DELEGATECALL to 0x9622…7242',
    proposalId: '1:safe:0xslow',
    ref: 'AAAAAAAAAAAAAAAA',
    findings: [],
    dedupKey: '1:safe:0xslow:critical',
    createdAt: new Date(0).toISOString(),
  }
  const chat = {
    state: async () => ({ status: 'pending' as const, acks: [], vetoRequests: [] }),
    messages: async () => [],
  }
  const commands = (pressMs: number) => ({
    press: async () => {
      await new Promise((r) => setTimeout(r, pressMs))
      return {
        outcome: 'done' as const,
        message: 'Acknowledged as alice.',
        proposalId: alert.proposalId as string,
      }
    },
    status: async () => ({ ok: true, message: 'ok' }),
    report: async () => ({ ok: false, message: 'none' }),
    silence: async () => ({ ok: false, message: 'no' }),
    unsilence: async () => ({ ok: false, message: 'no' }),
  })

  it('defers a press whose handling is slow, within Discord’s 3 s, and answers it afterwards', async () => {
    const d = createDiscord({
      token: TOKEN,
      channelId: discord.channelId,
      apiUrl: discord.api,
      minLevel: 'low',
      registerCommands: false,
      chat,
      logger: silentLogger,
    })
    const identified = discord.identified()
    await d.start(commands(2500))
    await eventually(() => (discord.identified() > identified ? true : undefined), 10_000, 'the gateway')
    await new Promise((r) => setTimeout(r, 300))
    const receipt = await d.notifier.deliver(alert, 1)
    const messageId = receipt?.ref.split(':')[1] as string
    const interaction = discord.press(ALICE, 'custos:ack:AAAAAAAAAAAAAAAA', messageId)
    const first = await eventually(() => discord.answersTo(interaction).callbacks[0], 5000, 'the deferral')
    expect(first.type).toBe(5) // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    expect(first.latencyMs).toBeLessThan(3000)
    const followUp = await eventually(() => discord.answersTo(interaction).followUps[0], 5000, 'the answer')
    expect(followUp.body.content).toBe('Acknowledged as alice.')
    await d.stop()
  })

  it('delivers through its own REST client while the gateway refuses logins, and connects once it accepts them', {
    timeout: 30_000,
  }, async () => {
    discord.refuseLogins(true)
    const { logger, lines } = recordingLogger()
    const d = createDiscord({
      token: TOKEN,
      channelId: discord.channelId,
      apiUrl: discord.api,
      minLevel: 'low',
      registerCommands: false,
      chat,
      logger,
    })
    try {
      await d.start(commands(0))
      // The login failed and discord.js destroyed its client (clearing its REST client's token).
      await eventually(
        () => lines.some((l) => l.msg === 'could not connect to the Discord gateway') || undefined,
        10_000,
        'a refused login',
      )
      const receipt = await d.notifier.deliver({ ...alert, dedupKey: 'gateway-refusing' }, 1)
      expect(receipt?.ref).toMatch(/^\d+:\d+$/)
      expect(discord.connected()).toBe(false)
      discord.refuseLogins(false)
      await eventually(() => (discord.connected() ? true : undefined), 20_000, 'the gateway')
      const interaction = discord.press(
        ALICE,
        'custos:ack:AAAAAAAAAAAAAAAA',
        receipt?.ref.split(':')[1] as string,
      )
      await eventually(() => discord.answersTo(interaction).callbacks[0], 5000, 'an answer')
    } finally {
      discord.refuseLogins(false)
      await d.stop()
    }
  })

  it('says the real cause when Discord cannot be reached, not a missing token', {
    timeout: 30_000,
  }, async () => {
    const { logger, lines } = recordingLogger()
    const closed = `http://127.0.0.1:${await freePort()}/api`
    const d = createDiscord({
      token: TOKEN,
      channelId: discord.channelId,
      apiUrl: closed,
      minLevel: 'low',
      registerCommands: false,
      chat,
      logger,
    })
    try {
      await d.start(commands(0))
      await eventually(
        () => lines.some((l) => l.msg === 'could not connect to the Discord gateway') || undefined,
        10_000,
        'a failed login',
      )
      const error = await d.notifier.deliver({ ...alert, dedupKey: 'unreachable' }, 1).catch((e) => e)
      expect(error.name).toBe('DeliveryError')
      expect(error.permanent).toBe(false)
      expect(error.message).toMatch(/ECONNREFUSED/)
      expect(error.message).not.toMatch(/token/i)
    } finally {
      await d.stop()
    }
  })

  it('comes back after the gateway drops the connection', async () => {
    const d = createDiscord({
      token: TOKEN,
      channelId: discord.channelId,
      apiUrl: discord.api,
      minLevel: 'low',
      registerCommands: false,
      chat,
      logger: silentLogger,
    })
    const before = discord.identified()
    await d.start(commands(0))
    await eventually(() => (discord.identified() > before ? true : undefined), 10_000, 'the gateway')
    discord.dropGateway()
    await eventually(() => (discord.identified() > before + 1 ? true : undefined), 20_000, 'the reconnection')
    const receipt = await d.notifier.deliver({ ...alert, dedupKey: 'after-drop' }, 1)
    const interaction = discord.press(
      ALICE,
      'custos:ack:AAAAAAAAAAAAAAAA',
      receipt?.ref.split(':')[1] as string,
    )
    await eventually(() => discord.answersTo(interaction).callbacks[0], 5000, 'an answer after reconnecting')
    await d.stop()
  })
})
