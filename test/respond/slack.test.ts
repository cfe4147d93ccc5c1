import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert, EscalationNotice, ProposalUpdate } from '../../src/model/alert.js'
import type { Notifier } from '../../src/respond/notifier.js'
import { createOutboxWorker } from '../../src/respond/outbox.js'
import { createSlackNotifier } from '../../src/respond/slack.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { type SlackBlock, startSlackFake } from '../fakes/slack.js'

const SAFE = '0x5afE3855358E112B5647B952709E6165e1c1eEEe'
const PROPOSAL = `1:safe:0x${'ab'.repeat(32)}`
const critical = (over: Partial<Alert> = {}): Alert => ({
  kind: 'report',
  level: 'critical',
  title: 'CRITICAL · Treasury · nonce 12',
  summary: 'DELEGATECALL to 0x9aE1…4f2C: unknown function 0x8a4068dd & <sweep> all assets',
  chainId: 1,
  safe: SAFE,
  proposalId: PROPOSAL,
  ref: 'Q2xhdWRlQ3VzdG9z',
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
    { severity: 'high', guard: 'safe-config-change', code: 'owner-added', message: 'adds owner 0xBAD…' },
  ],
  assetChanges: ['1500 USDC: Treasury (0x5afE…eEEe) → 0x9aE1…4f2C'],
  safeChanges: ['owners +0xBAD0…0001'],
  link: 'https://custos.example/r/42',
  dedupKey: `${PROPOSAL}:critical`,
  createdAt: '2025-01-01T00:00:00.000Z',
  ...over,
})

const dir = mkdtempSync(join(tmpdir(), 'custos-slack-'))
let n = 0
let slack: Awaited<ReturnType<typeof startSlackFake>>
beforeAll(async () => {
  slack = await startSlackFake()
})
afterAll(() => slack?.close())

const notifier = (url = slack.url) => createSlackNotifier({ name: 'ops', url, minLevel: 'medium' })
const texts = (b: SlackBlock[]) =>
  b.flatMap((x) => [x.text?.text ?? '', ...(x.fields ?? []).map((f) => f.text)])

describe('slack notifier', () => {
  it('posts a critical alert as Block Kit with escaped mrkdwn, hashes, findings and a report button', async () => {
    expect(await notifier().deliver(critical(), 1)).toBeUndefined()
    const msg = slack.posted().at(-1)
    const blocks = msg?.blocks ?? []
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'CRITICAL · Treasury · nonce 12', emoji: true },
    })
    expect(blocks[1]?.text).toEqual({
      type: 'mrkdwn',
      text: 'DELEGATECALL to 0x9aE1…4f2C: unknown function 0x8a4068dd &amp; &lt;sweep&gt; all assets',
    })
    const fields = blocks.find((b) => b.fields)?.fields?.map((f) => f.text) ?? []
    expect(fields).toContain(`*safeTxHash*\n\`0x${'ab'.repeat(32)}\``)
    expect(fields).toContain(`*Safe*\n\`${SAFE}\``)
    const all = texts(blocks).join('\n')
    expect(all).toContain('1500 USDC: Treasury')
    expect(all).toContain('owners +0xBAD0…0001')
    expect(all).toContain('*critical* `delegatecall-untrusted/untrusted-target`')
    expect(blocks.at(-1)).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', url: 'https://custos.example/r/42' }],
    })
    expect(msg?.text).toMatch(/^CRITICAL · Treasury · nonce 12: DELEGATECALL/)
  })

  it('fits a 10,000-character summary and 200 findings into Slack limits instead of failing', async () => {
    const findings = Array.from({ length: 200 }, (_, i) => ({
      severity: 'high',
      guard: 'g',
      code: `c${i}`,
      message: '<&>'.repeat(400),
    }))
    const alert = critical({
      title: 'T'.repeat(400),
      summary: '&'.repeat(10_000),
      findings,
      assetChanges: Array.from({ length: 300 }, (_, i) => `${i} ${'x'.repeat(100)}`),
    })
    await notifier().deliver(alert, 1)
    expect(slack.received.at(-1)?.status).toBe(200)
    const blocks = slack.posted().at(-1)?.blocks ?? []
    expect(blocks.length).toBeLessThanOrEqual(50)
    expect(blocks[0]?.text?.text.length).toBe(150)
    const summary = blocks[1]?.text?.text ?? ''
    expect(summary.length).toBeLessThanOrEqual(3000)
    // Cut between entities, never inside one.
    expect(summary).toMatch(/^(&amp;)+…$/)
    const all = texts(blocks).join('\n')
    expect(all).toContain('… 195 more')
    expect(all).toMatch(/… \d+ more$/m)
    for (const t of texts(blocks)) expect(t.length).toBeLessThanOrEqual(3000)
  })

  it('posts an @here for the mention rung and a line for updates it can show, nothing else', async () => {
    const s = notifier()
    const notice: EscalationNotice = {
      kind: 'escalation',
      stage: 'mention',
      round: 1,
      proposalId: PROPOSAL,
      ref: 'Q2xhdWRlQ3VzdG9z',
      level: 'critical',
      title: 'CRITICAL · Treasury · nonce 12',
      summary: 's',
      link: 'https://custos.example/r/42',
      signers: [{ name: 'alice', address: SAFE }],
      unacknowledgedSeconds: 600,
      dedupKey: 'esc:1',
      createdAt: '2025-01-01T00:10:00.000Z',
    }
    const update = (event: ProposalUpdate['event']): ProposalUpdate => ({
      kind: 'update',
      proposalId: PROPOSAL,
      ref: 'Q2xhdWRlQ3VzdG9z',
      event,
      text: 'Treasury nonce 12 executed <on chain>',
      resolves: true,
      dedupKey: `u:${event}`,
      createdAt: '2025-01-01T00:20:00.000Z',
    })
    expect(s.accepts?.(notice)).toBe(true)
    expect(s.accepts?.({ ...notice, stage: 'page' })).toBe(false)
    expect(s.accepts?.(update('executed'))).toBe(true)
    expect(s.accepts?.(update('acknowledged'))).toBe(true)
    expect(s.accepts?.(update('escalated'))).toBe(false)
    await s.deliver(notice, 1)
    expect(slack.posted().at(-1)?.text).toMatch(
      /^<!here> unacknowledged for 10 min: \*CRITICAL · Treasury · nonce 12\*\nSigners: alice\n<https:\/\/custos\.example\/r\/42\|Open report>$/,
    )
    await s.deliver(update('executed'), 1)
    expect(slack.posted().at(-1)?.blocks?.[0]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Treasury nonce 12 executed &lt;on chain&gt;' }],
    })
  })

  it('leaves out a report link that is not a web URL', async () => {
    await notifier().deliver(critical({ link: 'javascript:alert(1)' }), 1)
    expect(
      slack
        .posted()
        .at(-1)
        ?.blocks?.some((b) => b.type === 'actions'),
    ).toBe(false)
  })
})

describe('the slack fake', () => {
  // Without this, the limit tests above would prove nothing.
  it('refuses what Slack refuses', async () => {
    const post = async (body: unknown) => {
      const res = await fetch(slack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return `${res.status} ${await res.text()}`
    }
    const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text } })
    expect(await post({ blocks: [header('x'.repeat(151))] })).toBe('400 invalid_blocks')
    expect(
      await post({ blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }),
    ).toBe('400 invalid_blocks')
    expect(await post({ blocks: Array.from({ length: 51 }, () => header('x')) })).toBe('400 invalid_blocks')
    expect(await post({ blocks: [{ type: 'banner' }] })).toBe('400 invalid_blocks')
    expect(await post({})).toBe('400 no_text')
    expect(await post({ text: 'hi', blocks: [header('x')] })).toBe('200 ok')
  })
})

describe('slack failures through the outbox', () => {
  const setup = (clock: { now: number }, s: Notifier) => {
    const store = openSqliteStore(join(dir, `s${n++}.db`), () => clock.now)
    const worker = createOutboxWorker(store, [s], {
      maxAttempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      pollMs: 1_000_000,
      random: () => 1,
      clock: () => clock.now,
    })
    return { store, worker }
  }

  it('waits at least Retry-After on 429 rate_limited, then posts', async () => {
    const clock = { now: 1_000_000 }
    const { store, worker } = setup(clock, notifier())
    slack.script.push({ status: 429, body: 'rate_limited', headers: { 'retry-after': '45' } })
    await store.commit({
      outbox: [{ channel: 'slack:ops', dedupKey: 'a1', payload: critical({ dedupKey: 'a1' }) }],
    })
    await worker.flush()
    const [row] = await store.dueOutbox(Number.MAX_SAFE_INTEGER, 10)
    expect(row?.nextAttemptAt).toBeGreaterThanOrEqual(clock.now + 45_000)
    expect(row?.lastError).toBe('slack ops: HTTP 429 (rate_limited)')
    clock.now = row?.nextAttemptAt ?? 0
    await worker.flush()
    expect(await store.outboxDepth()).toBe(0)
    expect(slack.received.at(-1)?.status).toBe(200)
  })

  it('gives up at once on 400 invalid_blocks, and never writes the webhook secret', async () => {
    const clock = { now: 2_000_000 }
    const { store, worker } = setup(clock, notifier())
    slack.script.push({ status: 400, body: 'invalid_blocks' })
    await store.commit({
      outbox: [{ channel: 'slack:ops', dedupKey: 'a2', payload: critical({ dedupKey: 'a2' }) }],
    })
    await worker.flush()
    expect(await store.outboxDepth()).toBe(0)
    const [entry] = await store.auditLog(1)
    expect(entry).toMatchObject({ action: 'alert-undeliverable', details: { attempts: 1 } })
    expect(JSON.stringify(entry)).toContain('invalid_blocks')
    expect(JSON.stringify(entry)).not.toContain(slack.secret)
  })

  it('retries a revoked or unknown hook (404 no_service) without leaking its URL', async () => {
    const err = await notifier(`${slack.origin}/services/T0000/B0000/OTHERxSECRET`)
      .deliver(critical(), 1)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ permanent: false, message: 'slack ops: HTTP 404 (no_service)' })
    const unreachable = (await notifier('http://127.0.0.1:1/services/T/B/OTHERxSECRET')
      .deliver(critical(), 1)
      .catch((e: unknown) => e)) as Error
    expect(unreachable.message).toMatch(/^slack ops: /)
    expect(unreachable.message).not.toContain('OTHERxSECRET')
  })

  it('treats a 200 whose body is not `ok` as a failure', async () => {
    slack.script.push({ status: 200, body: 'invalid_token' })
    const err = await notifier()
      .deliver(critical(), 1)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ permanent: false, message: 'slack ops: HTTP 200 (invalid_token)' })
  })
})
