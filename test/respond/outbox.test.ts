import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert } from '../../src/model/alert.js'
import { DeliveryError, type Notifier } from '../../src/respond/notifier.js'
import { createOutboxWorker } from '../../src/respond/outbox.js'
import { createWebhookNotifier, signWebhook } from '../../src/respond/webhook.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { startWebhookReceiver } from '../fakes/webhook-receiver.js'

const dir = mkdtempSync(join(tmpdir(), 'custos-outbox-'))
let n = 0
const alert = (dedupKey: string): Alert => ({
  kind: 'report',
  level: 'high',
  title: `t ${dedupKey}`,
  summary: 's',
  findings: [],
  dedupKey,
  createdAt: new Date(0).toISOString(),
})
const options = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, pollMs: 1_000_000, random: () => 1 }

let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
beforeAll(async () => {
  receiver = await startWebhookReceiver()
})
afterAll(() => receiver?.close())

function setup(clock: { now: number }, notifier: Notifier) {
  const store = openSqliteStore(join(dir, `o${n++}.db`), () => clock.now)
  const worker = createOutboxWorker(store, [notifier], { ...options, clock: () => clock.now })
  return { store, worker }
}

describe('outbox delivery through the webhook notifier', () => {
  it('delivers with an HMAC signature over timestamp and body, and the dedup key', async () => {
    const clock = { now: 1_000 }
    const webhook = createWebhookNotifier({
      name: 'ops',
      url: receiver.url,
      secret: 's3cret',
      minLevel: 'info',
    })
    const { store, worker } = setup(clock, webhook)
    await store.commit({
      outbox: [{ channel: 'webhook:ops', dedupKey: 'p1:high', payload: alert('p1:high') }],
    })
    await worker.flush()
    const got = receiver.received.at(-1)
    expect(got?.json.alert.dedupKey).toBe('p1:high')
    expect(got?.headers['idempotency-key']).toBe('p1:high')
    const ts = got?.headers['x-custos-timestamp'] as string
    expect(got?.headers['x-custos-signature']).toBe(`sha256=${signWebhook('s3cret', ts, got?.body ?? '')}`)
    expect(await store.outboxDepth()).toBe(0)
  })

  it('honours 429 with Retry-After, then delivers', async () => {
    const clock = { now: 1_000_000 }
    const { store, worker } = setup(
      clock,
      createWebhookNotifier({ name: 'ops', url: receiver.url, minLevel: 'info' }),
    )
    receiver.script.push({ status: 429, headers: { 'retry-after': '30' } })
    await store.commit({ outbox: [{ channel: 'webhook:ops', dedupKey: 'p2', payload: alert('p2') }] })
    await worker.flush()
    const [row] = await store.dueOutbox(clock.now + 30_000, 10)
    expect(row?.nextAttemptAt).toBe(clock.now + 30_000)
    expect(await store.dueOutbox(clock.now + 29_999, 10)).toEqual([])
    clock.now += 30_000
    await worker.flush()
    expect(await store.outboxDepth()).toBe(0)
    expect(receiver.accepted().at(-1)?.json).toMatchObject({ alert: { dedupKey: 'p2' }, attempt: 2 })
  })

  it('backs off exponentially on 503 and gives up, audited, after maxAttempts', async () => {
    const clock = { now: 5_000_000 }
    const { store, worker } = setup(
      clock,
      createWebhookNotifier({ name: 'ops', url: receiver.url, minLevel: 'info' }),
    )
    for (let i = 0; i < 5; i++) receiver.script.push({ status: 503 })
    await store.commit({ outbox: [{ channel: 'webhook:ops', dedupKey: 'p3', payload: alert('p3') }] })
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      await worker.flush()
      const [row] = await store.dueOutbox(Number.MAX_SAFE_INTEGER, 10)
      if (!row) break
      waits.push(row.nextAttemptAt - clock.now)
      clock.now = row.nextAttemptAt
    }
    expect(waits).toEqual([2000, 4000, 8000, 16000])
    expect(await store.outboxDepth()).toBe(0)
    expect((await store.auditLog(1))[0]).toMatchObject({
      action: 'alert-undeliverable',
      subject: 'p3',
      details: { attempts: 5 },
    })
  })

  it('gives up at once on a permanent error', async () => {
    const clock = { now: 9_000_000 }
    const { store, worker } = setup(
      clock,
      createWebhookNotifier({ name: 'ops', url: receiver.url, minLevel: 'info' }),
    )
    receiver.script.push({ status: 400 })
    await store.commit({ outbox: [{ channel: 'webhook:ops', dedupKey: 'p4', payload: alert('p4') }] })
    await worker.flush()
    expect(await store.outboxDepth()).toBe(0)
    expect((await store.auditLog(1))[0]?.details).toMatchObject({ error: 'webhook ops: HTTP 400' })
  })

  it('finishes the delivery in flight on stop and leaves the rest queued', async () => {
    const clock = { now: 1 }
    let release: () => void = () => {}
    const delivered: string[] = []
    const slow: Notifier = {
      channel: 'slow',
      minLevel: 'info',
      deliver: (a) =>
        new Promise((resolve) => {
          release = () => {
            delivered.push(a.dedupKey)
            resolve(undefined)
          }
        }),
    }
    const { store, worker } = setup(clock, slow)
    await store.commit({
      outbox: ['a', 'b'].map((k) => ({ channel: 'slow', dedupKey: k, payload: alert(k) })),
    })
    worker.start()
    await new Promise((r) => setTimeout(r, 20))
    const stopped = worker.stop()
    release()
    await stopped
    expect(delivered).toEqual(['a'])
    expect((await store.dueOutbox(clock.now, 10)).map((r) => r.dedupKey)).toEqual(['b'])
  })

  it('treats an unreachable receiver as retryable', async () => {
    const err = await createWebhookNotifier({ name: 'x', url: 'http://127.0.0.1:1/h', minLevel: 'info' })
      .deliver(alert('z'), 1)
      .catch((e) => e)
    expect(err).toBeInstanceOf(DeliveryError)
    expect(err.permanent).toBe(false)
  })
})

describe('webhook responses that are not plain failures', () => {
  it('retries a 401 (a rotating credential) and gives up on a redirect at once', async () => {
    const notifier = createWebhookNotifier({ name: 'ops', url: receiver.url, minLevel: 'info' })
    receiver.script.push({ status: 401 })
    const unauthorized = await notifier.deliver(alert('r1'), 1).catch((e) => e)
    expect(unauthorized).toMatchObject({ permanent: false, message: 'webhook ops: HTTP 401' })
    receiver.script.push({ status: 302, headers: { location: 'https://elsewhere.example/hook?key=SECRET' } })
    const redirected = await notifier.deliver(alert('r2'), 1).catch((e) => e)
    expect(redirected.permanent).toBe(true)
    expect(redirected.message).toMatch(/HTTP 302 redirect to https:\/\/elsewhere\.example\/…/)
    expect(redirected.message).not.toContain('SECRET')
  })
})
