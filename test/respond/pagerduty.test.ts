import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert, EscalationNotice, ProposalUpdate } from '../../src/model/alert.js'
import { createOutboxWorker } from '../../src/respond/outbox.js'
import { createPagerDutyNotifier, pagerDutyDedupKey } from '../../src/respond/pagerduty.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { startPagerDutyFake } from '../fakes/pagerduty.js'

const ROUTING_KEY = 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y00'
const SAFE = '0x5afE3855358E112B5647B952709E6165e1c1eEEe'
const PROPOSAL = `1:safe:0x${'ab'.repeat(32)}`
const critical = (over: Partial<Alert> = {}): Alert => ({
  kind: 'report',
  level: 'critical',
  title: 'CRITICAL · Treasury · nonce 12',
  summary: 'DELEGATECALL to 0x9aE1…4f2C: unknown function 0x8a4068dd',
  chainId: 1,
  safe: SAFE,
  proposalId: PROPOSAL,
  ref: 'Q2xhdWRlQ3VzdG9z',
  hashes: {
    domainHash: `0x${'1d'.repeat(32)}`,
    messageHash: `0x${'3e'.repeat(32)}`,
    safeTxHash: `0x${'ab'.repeat(32)}`,
  },
  findings: Array.from({ length: 12 }, (_, i) => ({
    severity: i === 0 ? 'critical' : 'medium',
    guard: i === 0 ? 'delegatecall-untrusted' : 'large-transfer',
    code: `code-${i}`,
    message: i === 0 ? 'DELEGATECALL to 0x9aE1…4f2C, which is not a known MultiSend' : `finding ${i}`,
  })),
  assetChanges: ['1500 USDC: Treasury (0x5afE…eEEe) → 0x9aE1…4f2C'],
  safeChanges: ['owners +0xBAD0…0001'],
  link: 'https://custos.example/r/42',
  dedupKey: `${PROPOSAL}:critical`,
  createdAt: '2025-01-01T00:00:00.000Z',
  ...over,
})
const page = (over: Partial<EscalationNotice> = {}): EscalationNotice => ({
  kind: 'escalation',
  stage: 'page',
  round: 1,
  proposalId: PROPOSAL,
  ref: 'Q2xhdWRlQ3VzdG9z',
  level: 'high',
  title: 'HIGH · Treasury · nonce 12',
  summary: 'transfers 1500 USDC',
  link: 'https://custos.example/r/42',
  chainId: 1,
  safe: SAFE,
  signers: [{ name: 'alice', address: SAFE, telegram: 42 }],
  unacknowledgedSeconds: 1200,
  dedupKey: `${PROPOSAL}:page:1`,
  createdAt: '2025-01-01T00:20:00.000Z',
  ...over,
})
const update = (over: Partial<ProposalUpdate> = {}): ProposalUpdate => ({
  kind: 'update',
  proposalId: PROPOSAL,
  ref: 'Q2xhdWRlQ3VzdG9z',
  event: 'acknowledged',
  text: 'acknowledged by alice',
  resolves: true,
  dedupKey: `${PROPOSAL}:ack`,
  createdAt: '2025-01-01T00:25:00.000Z',
  ...over,
})

const dir = mkdtempSync(join(tmpdir(), 'custos-pd-'))
let n = 0
let pd: Awaited<ReturnType<typeof startPagerDutyFake>>
beforeAll(async () => {
  pd = await startPagerDutyFake({ routingKey: ROUTING_KEY })
})
afterAll(() => pd?.close())
const notifier = (routingKey = ROUTING_KEY) =>
  createPagerDutyNotifier({ routingKey, minLevel: 'critical', url: pd.url })

describe('pagerduty notifier', () => {
  it('triggers a critical alert with the Events v2 fields and one dedup key per proposal', async () => {
    await notifier().deliver(critical(), 1)
    const event = pd.accepted().at(-1)
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: `custos:${PROPOSAL}`,
      payload: {
        summary: 'CRITICAL · Treasury · nonce 12: DELEGATECALL to 0x9aE1…4f2C: unknown function 0x8a4068dd',
        source: 'custos',
        severity: 'critical',
        component: SAFE,
        group: '1',
        class: 'report',
        custom_details: {
          hashes: { safeTxHash: `0x${'ab'.repeat(32)}` },
          link: 'https://custos.example/r/42',
          assetChanges: ['1500 USDC: Treasury (0x5afE…eEEe) → 0x9aE1…4f2C'],
          safeChanges: ['owners +0xBAD0…0001'],
          moreFindings: 2,
        },
      },
      links: [{ href: 'https://custos.example/r/42', text: 'custos report' }],
    })
    expect(event?.payload?.custom_details?.findings).toHaveLength(10)
  })

  it('maps levels to PagerDuty severities', async () => {
    const got: Record<string, string | undefined> = {}
    for (const level of ['critical', 'high', 'medium', 'low', 'info', 'none'] as const) {
      await notifier().deliver(critical({ level, proposalId: `p-${level}` }), 1)
      got[level] = pd.accepted().at(-1)?.payload?.severity
    }
    expect(got).toEqual({
      critical: 'critical',
      high: 'error',
      medium: 'warning',
      low: 'info',
      info: 'info',
      none: 'info',
    })
  })

  it('pages and resolves the same incident: trigger, page and resolve share the dedup key', async () => {
    const p = notifier()
    const id = `${PROPOSAL}:shared`
    expect(p.accepts?.(page())).toBe(true)
    expect(p.accepts?.(page({ stage: 'mention' }))).toBe(false)
    expect(p.accepts?.(update())).toBe(true)
    expect(p.accepts?.(update({ event: 'escalated', resolves: false }))).toBe(false)
    await p.deliver(critical({ proposalId: id }), 1)
    await p.deliver(page({ proposalId: id }), 1)
    const paged = pd.accepted().at(-1)
    expect(paged?.payload).toMatchObject({
      summary: 'Unacknowledged for 20 min: HIGH · Treasury · nonce 12',
      severity: 'error',
      class: 'escalation',
    })
    expect(pd.incidents.get(`custos:${id}`)).toMatchObject({ status: 'triggered', alerts: 2 })
    await p.deliver(update({ proposalId: id }), 1)
    const resolve = pd.accepted().at(-1)
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: `custos:${id}` })
    expect(pd.incidents.get(`custos:${id}`)?.status).toBe('resolved')
  })

  it('keys alerts without a proposal by their dedup key, hashed past 255 characters', async () => {
    const { proposalId: _, ...health } = critical({ kind: 'health', dedupKey: 'silent:rpc:7' })
    await notifier().deliver(health, 1)
    expect(pd.accepted().at(-1)?.dedup_key).toBe('custos:silent:rpc:7')
    const long = `1:governor:0x${'c'.repeat(40)}:${'9'.repeat(300)}`
    const key = pagerDutyDedupKey(long)
    expect(key).toMatch(/^custos:[0-9a-f]{64}$/)
    expect(pagerDutyDedupKey(long)).toBe(key)
    await notifier().deliver(critical({ proposalId: long, summary: 'x'.repeat(10_000) }), 1)
    const event = pd.accepted().at(-1)
    expect(event?.dedup_key).toBe(key)
    expect(event?.payload?.summary?.length).toBe(1024)
  })

  it('gives up at once on 400 invalid event, without the routing key in the error', async () => {
    const wrong = 'WRONGKEYWRONGKEYWRONGKEYWRONGKEY'
    const err = (await notifier(wrong)
      .deliver(critical(), 1)
      .catch((e: unknown) => e)) as Error & { permanent: boolean }
    expect(err.permanent).toBe(true)
    expect(err.message).toMatch(/^pagerduty: HTTP 400 \(.*invalid event.*'routing_key' is invalid/)
    expect(err.message).not.toContain(wrong)
    // Even a receiver that echoes the key back does not get it into the error.
    pd.script.push({ status: 500, body: { status: 'error', echoed: ROUTING_KEY } })
    const echoed = (await notifier()
      .deliver(critical(), 1)
      .catch((e: unknown) => e)) as Error & { permanent: boolean }
    expect(echoed.permanent).toBe(false)
    expect(echoed.message).toContain('HTTP 500')
    expect(echoed.message).not.toContain(ROUTING_KEY)
  })
})

describe('pagerduty failures through the outbox', () => {
  it('retries 429 (no Retry-After) and 5xx with backoff, then triggers', async () => {
    const clock = { now: 1_000_000 }
    const store = openSqliteStore(join(dir, `p${n++}.db`), () => clock.now)
    const worker = createOutboxWorker(store, [notifier()], {
      maxAttempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      pollMs: 1_000_000,
      random: () => 1,
      clock: () => clock.now,
    })
    pd.script.push(
      {
        status: 429,
        body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly' },
      },
      { status: 503, body: {} },
    )
    await store.commit({
      outbox: [{ channel: 'pagerduty', dedupKey: 'k1', payload: critical({ dedupKey: 'k1' }) }],
    })
    const waits: number[] = []
    for (let i = 0; i < 3; i++) {
      await worker.flush()
      const [row] = await store.dueOutbox(Number.MAX_SAFE_INTEGER, 10)
      if (!row) break
      waits.push(row.nextAttemptAt - clock.now)
      clock.now = row.nextAttemptAt
    }
    expect(waits).toEqual([2000, 4000])
    expect(await store.outboxDepth()).toBe(0)
    expect(pd.received.slice(-3).map((r) => r.status)).toEqual([429, 503, 202])
  })
})
