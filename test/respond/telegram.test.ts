import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Alert, EscalationNotice, ProposalUpdate } from '../../src/model/alert.js'
import type { Logger } from '../../src/model/logger.js'
import type { PostedMessage } from '../../src/model/store.js'
import {
  type ChatState,
  type ChatStore,
  type Press,
  type PressResult,
  parseButtonId,
} from '../../src/respond/chat.js'
import { createOutboxWorker } from '../../src/respond/outbox.js'
import { createTelegramNotifier } from '../../src/respond/telegram.js'
import { createTelegramCallbacks } from '../../src/respond/telegram-callbacks.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { startTelegramFake } from '../fakes/telegram.js'

const TOKEN = '7012345678:AAHsEcReT-tOkEn_0123456789abcdefghi'
const CHAT = -1001234567890
const SAFE = '0x5afE3855358E112B5647B952709E6165e1c1eEEe'
const PROPOSAL = `1:safe:0x${'ab'.repeat(32)}`
const REF = 'Q2xhdWRlQ3VzdG9z'
const critical = (over: Partial<Alert> = {}): Alert => ({
  kind: 'report',
  level: 'critical',
  title: 'CRITICAL · Treasury · nonce 12',
  summary: 'DELEGATECALL to 0x9aE1…4f2C: unknown function 0x8a4068dd & <sweep> all assets',
  chainId: 1,
  safe: SAFE,
  proposalId: PROPOSAL,
  ref: REF,
  hashes: {
    domainHash: `0x${'1d'.repeat(32)}`,
    messageHash: `0x${'3e'.repeat(32)}`,
    safeTxHash: `0x${'ab'.repeat(32)}`,
  },
  findings: [
    {
      severity: 'critical',
      guard: 'delegatecall-untrusted',
      code: 'untrusted-target',
      message: 'DELEGATECALL to 0x9aE1…4f2C, which is not a known MultiSend or library',
    },
    { severity: 'high', guard: 'safe-config-change', code: 'owner-added', message: 'adds owner "0xBAD…"' },
  ],
  assetChanges: ['1500 USDC: Treasury (0x5afE…eEEe) → 0x9aE1…4f2C'],
  safeChanges: ['owners +0xBAD0…0001'],
  link: 'https://custos.example/r/42?a=1&b=2',
  dedupKey: `${PROPOSAL}:critical`,
  createdAt: '2025-01-01T00:00:00.000Z',
  ...over,
})
const update = (over: Partial<ProposalUpdate> = {}): ProposalUpdate => ({
  kind: 'update',
  proposalId: PROPOSAL,
  ref: REF,
  event: 'executed',
  text: 'executed',
  resolves: true,
  dedupKey: `${PROPOSAL}:executed`,
  createdAt: '2025-01-01T00:30:00.000Z',
  ...over,
})
const ack = { proposalId: PROPOSAL, actor: 'alice via telegram:42', signer: SAFE, channel: 'telegram', at: 1 }

/** A ChatStore whose state and messages the test sets. */
function chatStore(state: Partial<ChatState> = {}) {
  const current: ChatState = { status: 'pending', acks: [], vetoRequests: [], ...state }
  const posted: PostedMessage[] = []
  const store: ChatStore = {
    state: async () => current,
    messages: async (id, channel) =>
      posted.filter((m) => m.channel === channel && (m.payload as Alert).proposalId === id),
  }
  return { store, current, posted }
}

const dir = mkdtempSync(join(tmpdir(), 'custos-telegram-'))
let n = 0
let tg: Awaited<ReturnType<typeof startTelegramFake>>
beforeAll(async () => {
  tg = await startTelegramFake({ token: TOKEN, knownChats: [CHAT] })
})
afterAll(() => tg?.close())

const notifier = (chat: ChatStore, over: { token?: string; chatId?: number; apiUrl?: string } = {}) =>
  createTelegramNotifier({
    token: over.token ?? TOKEN,
    chatId: over.chatId ?? CHAT,
    minLevel: 'medium',
    apiUrl: over.apiUrl ?? tg.apiUrl,
    chat,
  })
const messageOf = (ref: string) => tg.messages.get(ref)

describe('telegram notifier', () => {
  it('sends a critical alert as HTML with the action buttons and the report link', async () => {
    const chat = chatStore({ acks: [ack] })
    const receipt = await notifier(chat.store).deliver(critical(), 1)
    expect(receipt?.ref).toMatch(new RegExp(`^${CHAT}:\\d+$`))
    const sent = tg.calls('sendMessage').at(-1)?.body
    expect(sent).toMatchObject({
      chat_id: CHAT,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    })
    const text = messageOf(receipt?.ref ?? '')?.text ?? ''
    expect(text.split('\n').slice(0, 2)).toEqual([
      '<b>CRITICAL · Treasury · nonce 12</b>',
      'DELEGATECALL to 0x9aE1…4f2C: unknown function 0x8a4068dd &amp; &lt;sweep&gt; all assets',
    ])
    expect(text).toContain(`safeTxHash <code>0x${'ab'.repeat(32)}</code>`)
    expect(text).toContain(`Safe <code>${SAFE}</code> on chain 1`)
    expect(text).toContain('• 1500 USDC: Treasury (0x5afE…eEEe) → 0x9aE1…4f2C')
    expect(text).toContain(
      '• <b>critical</b> <code>delegatecall-untrusted/untrusted-target</code>: DELEGATECALL',
    )
    expect(text).toContain('adds owner "0xBAD…"')
    expect(text.endsWith('\n\n👀 Acknowledged by alice (0x5afE…eEEe)')).toBe(true)
    const rows = messageOf(receipt?.ref ?? '')?.replyMarkup?.inline_keyboard ?? []
    expect(rows[0]?.map((b) => b.text)).toEqual(['Acknowledge', 'Escalate', 'Veto'])
    for (const b of rows[0] ?? [])
      expect(Buffer.byteLength(b.callback_data ?? '', 'utf8')).toBeLessThanOrEqual(64)
    expect(rows[0]?.map((b) => parseButtonId(b.callback_data ?? ''))).toEqual([
      { action: 'ack', ref: REF },
      { action: 'escalate', ref: REF },
      { action: 'veto', ref: REF },
    ])
    expect(rows[1]).toEqual([{ text: 'Report', url: 'https://custos.example/r/42?a=1&b=2' }])
  })

  it('offers Pause, not Veto, on a protocol check whose protocol has a pause, and says what custos did', async () => {
    const check = `1:check:0x${'9a'.repeat(20)}:reserves:1700000000000`
    const chat = chatStore({ check: true, vetoes: ['dry-run'] })
    const { hashes: _, safe: __, ...rest } = critical()
    const alert: Alert = {
      ...rest,
      title: 'HIGH · Lending market · check reserves',
      proposalId: check,
      pause: 'pool: pause() on 0x9a9a…9a9a',
    }
    const receipt = await notifier(chat.store).deliver(alert, 1)
    const rows = messageOf(receipt?.ref ?? '')?.replyMarkup?.inline_keyboard ?? []
    expect(rows[0]?.map((b) => b.text)).toEqual(['Acknowledge', 'Escalate', 'Pause'])
    expect(parseButtonId(rows[0]?.[2]?.callback_data ?? '')).toEqual({ action: 'pause', ref: REF })
    expect(messageOf(receipt?.ref ?? '')?.text).toContain(
      '⏸️ custos would pause the protocol (dry run: nothing sent)',
    )
    // A check of a protocol without a pause has nothing to veto: no Veto button either.
    const none = await notifier(chatStore({ check: true }).store).deliver(
      { ...alert, pause: undefined as never, dedupKey: 'x' },
      1,
    )
    const plain = messageOf(none?.ref ?? '')?.replyMarkup?.inline_keyboard ?? []
    expect(plain[0]?.map((b) => b.text)).toEqual(['Acknowledge', 'Escalate'])
  })

  it('cuts a huge alert to 4096 characters of well-formed HTML and keeps the state lines', async () => {
    const chat = chatStore({ acks: [ack] })
    const alert = critical({
      title: '<b>'.repeat(200),
      summary: '<&>'.repeat(3400),
      findings: Array.from({ length: 200 }, (_, i) => ({
        severity: 'high',
        guard: 'g<',
        code: `c${i}`,
        message: '&'.repeat(1000),
      })),
      assetChanges: Array.from({ length: 300 }, (_, i) => `${i} <x> & more`),
    })
    const receipt = await notifier(chat.store).deliver(alert, 1)
    const text = messageOf(receipt?.ref ?? '')?.text ?? ''
    expect(text.length).toBeLessThanOrEqual(4096)
    expect(text).toContain('…')
    expect(text).toContain('<i>… 290 more</i>')
    expect(text).toContain('• 9 &lt;x&gt; &amp; more')
    // Every line was cut, not dropped: the summary still shows, and so do the findings.
    expect(text).toMatch(/\n(&lt;&amp;&gt;)+&lt;(&amp;)?…\n|\n(&lt;&amp;&gt;)+…\n/)
    expect(text).toContain('<b>Findings</b>\n• <b>high</b> <code>g&lt;/c0</code>: &amp;&amp;')
    expect(text.endsWith('👀 Acknowledged by alice (0x5afE…eEEe)')).toBe(true)
  })

  it('edits its messages on an update and drops the buttons once the proposal is closed', async () => {
    const chat = chatStore()
    const t = notifier(chat.store)
    const alert = critical()
    const receipt = await t.deliver(alert, 1)
    const ref = receipt?.ref ?? ''
    chat.posted.push({ channel: 'telegram', dedupKey: alert.dedupKey, ref, payload: alert })
    // A message deleted in the chat cannot be edited: the others still are, and the update is given up.
    chat.posted.push({ channel: 'telegram', dedupKey: 'gone', ref: `${CHAT}:1`, payload: alert })
    chat.current.acks = [ack]
    await t.deliver(update({ event: 'acknowledged', resolves: true }), 1).catch(() => {})
    expect(messageOf(ref)?.text).toContain('👀 Acknowledged by alice')
    expect(messageOf(ref)?.replyMarkup?.inline_keyboard?.[0]?.length).toBe(3)
    chat.posted.pop()

    chat.current.status = 'executed'
    expect(await t.deliver(update(), 1)).toBeUndefined()
    const edited = messageOf(ref)
    expect(edited?.edits).toBe(2)
    expect(edited?.text).toMatch(/\n\n✅ Executed on chain\n👀 Acknowledged by alice \(0x5afE…eEEe\)$/)
    expect(edited?.replyMarkup?.inline_keyboard).toEqual([
      [{ text: 'Report', url: 'https://custos.example/r/42?a=1&b=2' }],
    ])
    // The same update again changes nothing: Telegram's "message is not modified" is a success.
    await expect(t.deliver(update(), 2)).resolves.toBeUndefined()
    expect(tg.calls('editMessageText').at(-1)?.status).toBe(400)
    expect(messageOf(ref)?.edits).toBe(2)
  })

  it('mentions the signers it knows on Telegram for the mention rung, and takes every update', async () => {
    const t = notifier(chatStore().store)
    const notice: EscalationNotice = {
      kind: 'escalation',
      stage: 'mention',
      round: 1,
      proposalId: PROPOSAL,
      ref: REF,
      level: 'critical',
      title: 'CRITICAL · Treasury · nonce 12',
      summary: 's',
      signers: [
        { name: 'alice <ops>', address: SAFE, telegram: 42 },
        { name: 'bob', address: SAFE },
        { name: 'carol', address: SAFE, telegram: 43 },
      ],
      unacknowledgedSeconds: 610,
      dedupKey: 'esc',
      createdAt: '2025-01-01T00:10:00.000Z',
    }
    expect(t.accepts?.(notice)).toBe(true)
    expect(t.accepts?.({ ...notice, stage: 'page' })).toBe(false)
    expect(t.accepts?.(update({ event: 'escalated', resolves: false }))).toBe(true)
    await t.deliver(notice, 1)
    expect(tg.calls('sendMessage').at(-1)?.body.text).toBe(
      '🔔 Unacknowledged for 10 min: <b>CRITICAL · Treasury · nonce 12</b>\n' +
        '<a href="tg://user?id=42">alice &lt;ops&gt;</a>, <a href="tg://user?id=43">carol</a>',
    )
  })

  it('never puts the token in an error', async () => {
    const chat = chatStore().store
    tg.script.push({
      method: 'sendMessage',
      status: 500,
      body: { ok: false, error_code: 500, description: `Internal Server Error at /bot${TOKEN}/sendMessage` },
    })
    const errors = [
      await notifier(chat)
        .deliver(critical(), 1)
        .catch((e: unknown) => e),
      await notifier(chat, { apiUrl: 'http://127.0.0.1:1' })
        .deliver(critical(), 1)
        .catch((e: unknown) => e),
      // No scheme: redacting URLs would not catch this one, fetch puts the whole URL in its message.
      await notifier(chat, { apiUrl: 'api.telegram.invalid' })
        .deliver(critical(), 1)
        .catch((e: unknown) => e),
    ] as Array<Error & { permanent: boolean }>
    expect(errors[0]).toMatchObject({ permanent: false })
    expect(errors[0]?.message).toMatch(/^telegram sendMessage: HTTP 500/)
    for (const e of errors) {
      expect(e).toBeInstanceOf(Error)
      expect(e.message).not.toContain(TOKEN)
      expect(e.message).not.toContain(TOKEN.split(':')[1])
      expect(e.cause).toBeUndefined()
    }
  })
})

describe('the telegram fake', () => {
  // Without this, a test that the fake accepted a message would prove nothing.
  it('refuses what Telegram refuses and long-polls like Telegram', async () => {
    const call = async (method: string, body: object, token = TOKEN) => {
      const res = await fetch(`${tg.apiUrl}/bot${token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      const j = (await res.json()) as { ok: boolean; description?: string; result?: unknown }
      return j.ok ? 'ok' : `${res.status} ${j.description}`
    }
    const send = (text: string, extra: object = {}) =>
      call('sendMessage', { chat_id: CHAT, text, parse_mode: 'HTML', ...extra })
    expect(await call('sendMessage', { chat_id: CHAT, text: 'x' }, '1:wrong')).toBe('401 Unauthorized')
    expect(await send('<b>open')).toMatch(/^400 Bad Request: Can't parse entities: can't find end tag/)
    expect(await send('<b>x</i></b>')).toMatch(/^400 Bad Request: Can't parse entities/)
    expect(await send('a & b')).toMatch(/^400 Bad Request: Can't parse entities: unsupported entity/)
    expect(await send('<script>x</script>')).toMatch(/unsupported start tag "script"/)
    expect(await send('x'.repeat(4097))).toBe('400 Bad Request: message is too long')
    expect(await send('&amp;'.repeat(4096))).toBe('ok')
    const keyboard = (data: string) => ({
      reply_markup: { inline_keyboard: [[{ text: 'b', callback_data: data }]] },
    })
    expect(await send('x', keyboard('é'.repeat(33)))).toBe('400 Bad Request: BUTTON_DATA_INVALID')
    expect(await send('x', keyboard('é'.repeat(32)))).toBe('ok')
    expect(await call('getUpdates', { offset: 1_000_000, timeout: 0 })).toBe('ok')
    const started = Date.now()
    const polled = fetch(`${tg.apiUrl}/bot${TOKEN}/getUpdates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offset: 1_000_000, timeout: 5, allowed_updates: ['callback_query'] }),
    }).then((r) => r.json() as Promise<{ result: Array<{ update_id: number }> }>)
    setTimeout(
      () =>
        tg.inject({
          update_id: 1_000_001,
          callback_query: {
            id: 'q-fake',
            from: { id: 1, is_bot: false, first_name: 'a' },
            chat_instance: '1',
            data: 'x',
          },
        }),
      50,
    )
    expect((await polled).result.map((u) => u.update_id)).toEqual([1_000_001])
    expect(Date.now() - started).toBeLessThan(1000)
    // Confirm it, so that the loops below never see it.
    expect(await call('getUpdates', { offset: 1_000_002, timeout: 0 })).toBe('ok')
  })
})

describe('telegram through the outbox', () => {
  const setup = (clock: { now: number }) => {
    const store = openSqliteStore(join(dir, `t${n++}.db`), () => clock.now)
    const chat: ChatStore = {
      state: async () => ({ status: 'pending', acks: [], vetoRequests: [] }),
      messages: (id, channel) => store.messagesFor(id, channel),
    }
    const worker = createOutboxWorker(store, [notifier(chat)], {
      maxAttempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      pollMs: 1_000_000,
      random: () => 1,
      clock: () => clock.now,
    })
    return { store, worker }
  }

  it('waits at least parameters.retry_after on 429, then sends and remembers the message', async () => {
    const clock = { now: 1_000_000 }
    const { store, worker } = setup(clock)
    tg.script.push({
      method: 'sendMessage',
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 37',
        parameters: { retry_after: 37 },
      },
    })
    const alert = critical({ dedupKey: 'tg-1' })
    await store.commit({ outbox: [{ channel: 'telegram', dedupKey: 'tg-1', payload: alert }] })
    await worker.flush()
    const [row] = await store.dueOutbox(Number.MAX_SAFE_INTEGER, 10)
    expect(row?.nextAttemptAt).toBeGreaterThanOrEqual(clock.now + 37_000)
    expect(row?.lastError).toMatch(/^telegram sendMessage: HTTP 429/)
    clock.now = row?.nextAttemptAt ?? 0
    await worker.flush()
    expect(await store.outboxDepth()).toBe(0)
    const [message] = await store.messagesFor(PROPOSAL, 'telegram')
    expect(tg.messages.get(message?.ref ?? '')?.text).toContain('CRITICAL · Treasury · nonce 12')
  })

  it('gives up at once on a 400 (chat not found)', async () => {
    const clock = { now: 2_000_000 }
    const store = openSqliteStore(join(dir, `t${n++}.db`), () => clock.now)
    const worker = createOutboxWorker(store, [notifier(chatStore().store, { chatId: 999 })], {
      maxAttempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      pollMs: 1_000_000,
      clock: () => clock.now,
    })
    await store.commit({ outbox: [{ channel: 'telegram', dedupKey: 'tg-2', payload: critical() }] })
    await worker.flush()
    expect(await store.outboxDepth()).toBe(0)
    const [entry] = await store.auditLog(1)
    expect(entry).toMatchObject({ action: 'alert-undeliverable', details: { attempts: 1 } })
    expect(JSON.stringify(entry)).toContain('chat not found')
  })
})

describe('telegram button presses', () => {
  const memoryOffset = () => {
    const o = { value: undefined as number | undefined, saves: [] as number[] }
    return {
      o,
      store: {
        load: async () => o.value,
        save: async (v: number) => {
          o.value = v
          o.saves.push(v)
        },
      },
    }
  }
  const logs: string[] = []
  const logger: Logger = {
    info: (o, m) => logs.push(`${m} ${JSON.stringify(o)}`),
    warn: (o, m) => logs.push(`${m} ${JSON.stringify(o)}`),
    error: (o, m) => logs.push(`${m} ${JSON.stringify(o)}`),
    debug: () => {},
    child: () => logger,
  }
  const presses: Press[] = []
  const seen = new Set<string>()
  const onPress = async (p: Press): Promise<PressResult> => {
    presses.push(p)
    if (seen.has(p.interactionId)) return { outcome: 'duplicate', message: '' }
    seen.add(p.interactionId)
    if (p.action === 'veto') return { outcome: 'refused', message: 'you are not a signer of this Safe' }
    return { outcome: 'done', message: 'Acknowledged: the other signers can see it', proposalId: PROPOSAL }
  }
  const loop = (offset: ReturnType<typeof memoryOffset>['store']) =>
    createTelegramCallbacks({
      token: TOKEN,
      apiUrl: tg.apiUrl,
      onPress,
      offset,
      pollTimeoutSeconds: 2,
      logger,
    })
  const answerFor = (id: string) => tg.answers.find((a) => a.callback_query_id === id)

  it('hands a press to onPress and answers it; a refusal is shown as an alert', async () => {
    const { store } = memoryOffset()
    const l = loop(store)
    l.start()
    const a = tg.press({ userId: 42, username: 'alice', data: `custos:ack:${REF}` })
    await vi.waitFor(() => expect(answerFor(a.query.id)).toBeDefined(), { timeout: 3000, interval: 10 })
    expect(presses.at(-1)).toEqual({
      channel: 'telegram',
      interactionId: a.query.id,
      user: { id: '42', name: 'alice' },
      action: 'ack',
      ref: REF,
    })
    expect(answerFor(a.query.id)).toEqual({
      callback_query_id: a.query.id,
      text: 'Acknowledged: the other signers can see it',
      show_alert: false,
    })
    const v = tg.press({ userId: 7, firstName: 'Mallory', data: `custos:veto:${REF}` })
    await vi.waitFor(() => expect(answerFor(v.query.id)).toBeDefined(), { timeout: 3000, interval: 10 })
    expect(presses.at(-1)?.user).toEqual({ id: '7', name: 'Mallory' })
    expect(answerFor(v.query.id)).toMatchObject({
      show_alert: true,
      text: 'you are not a signer of this Safe',
    })
    const u = tg.press({ userId: 42, data: 'custos:sell:everything' })
    await vi.waitFor(() => expect(answerFor(u.query.id)).toBeDefined(), { timeout: 3000, interval: 10 })
    expect(answerFor(u.query.id)?.text).toBe('unknown button')
    expect(presses.at(-1)?.interactionId).toBe(v.query.id)
    const started = Date.now()
    await l.stop()
    // The long poll in flight is aborted, not waited out.
    expect(Date.now() - started).toBeLessThan(500)
  })

  it('resumes from the saved offset after a restart and does not answer a replay', async () => {
    const offset = memoryOffset()
    const first = loop(offset.store)
    first.start()
    const a = tg.press({ userId: 42, username: 'alice', data: `custos:ack:${REF}` })
    await vi.waitFor(() => expect(offset.o.value).toBe(a.updateId + 1), { timeout: 3000, interval: 10 })
    await first.stop()
    const handled = presses.length

    // Telegram hands the update out again (its confirmation was lost), and a new press arrives.
    tg.inject({ update_id: a.updateId, callback_query: a.query })
    const b = tg.press({ userId: 42, username: 'alice', data: `custos:escalate:${REF}` })
    const second = loop(offset.store)
    second.start()
    await vi.waitFor(() => expect(offset.o.value).toBe(b.updateId + 1), { timeout: 3000, interval: 10 })
    await second.stop()
    expect(presses.slice(handled).map((p) => p.interactionId)).toEqual([b.query.id])
    const polls = tg.calls('getUpdates').filter((r) => r.body.offset === a.updateId + 1)
    expect(polls.length).toBeGreaterThan(0)

    // A loop that lost its offset gets the old update again: onPress calls it a duplicate, no answer.
    const answers = tg.answers.length
    tg.inject({ update_id: b.updateId + 100, callback_query: a.query })
    const fresh = memoryOffset()
    const third = loop(fresh.store)
    third.start()
    await vi.waitFor(() => expect(fresh.o.value).toBe(b.updateId + 101), { timeout: 3000, interval: 10 })
    await third.stop()
    expect(presses.at(-1)?.interactionId).toBe(a.query.id)
    expect(tg.answers.length).toBe(answers)
  })

  it('backs off on errors, honours retry_after, and keeps the token out of its logs', async () => {
    // A Telegram of its own: an earlier loop's aborted long poll must not take the scripted answers.
    const tg = await startTelegramFake({ token: TOKEN, knownChats: [CHAT] })
    tg.script.push(
      {
        method: 'getUpdates',
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: 'Too Many Requests: retry after 1',
          parameters: { retry_after: 1 },
        },
      },
      {
        method: 'getUpdates',
        status: 500,
        body: { ok: false, error_code: 500, description: `Internal Server Error /bot${TOKEN}/getUpdates` },
      },
    )
    logs.length = 0
    const before = tg.calls('getUpdates').length
    const l = createTelegramCallbacks({
      token: TOKEN,
      apiUrl: tg.apiUrl,
      onPress,
      offset: memoryOffset().store,
      pollTimeoutSeconds: 2,
      logger,
    })
    l.start()
    // Its own query id too: the fakes number them alike, and onPress drops a repeat.
    const p = tg.press({ userId: 42, username: 'alice', data: `custos:ack:${REF}`, id: 'cq-backoff' })
    await vi.waitFor(() => expect(tg.answers.find((a) => a.callback_query_id === p.query.id)).toBeDefined(), {
      timeout: 4000,
      interval: 20,
    })
    await l.stop()
    // (An earlier loop's aborted poll may still be answered: it is not one of this loop's.)
    const mine = tg.calls('getUpdates').slice(before)
    const polls = mine.slice(mine.findIndex((r) => r.status === 429))
    expect(polls.slice(0, 3).map((r) => r.status)).toEqual([429, 500, 200])
    // 1 s asked by the 429; then the 1 s first step of the backoff after the 500.
    expect((polls[1]?.at ?? 0) - (polls[0]?.at ?? 0)).toBeGreaterThanOrEqual(950)
    expect((polls[2]?.at ?? 0) - (polls[1]?.at ?? 0)).toBeGreaterThanOrEqual(950)
    expect(logs.some((line) => line.includes('HTTP 500'))).toBe(true)
    expect(logs.join('\n')).not.toContain(TOKEN.split(':')[1])
    await tg.close()
  })
})
