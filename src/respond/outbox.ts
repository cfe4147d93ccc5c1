import { type Alert, isAlert, type OutboxPayload } from '../model/alert.js'
import { redactUrls } from '../model/redact.js'
import type { OutboxRow, Store } from '../model/store.js'
import { DeliveryError, type Notifier } from './notifier.js'

export type OutboxOptions = {
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** How often to look for due alerts when nothing wakes the worker (ms). */
  pollMs: number
  clock?: () => number
  random?: () => number
  onDelivered?: (channel: string, alert: Alert) => void
  onFailed?: (channel: string, error: string, final: boolean) => void
  /** Why a row need not be sent any more (a mention after the acknowledgement), if so. */
  stale?: (row: OutboxRow) => Promise<string | undefined>
  /** An alert given up on one channel (so that the others can say so). */
  onGivenUp?: (row: OutboxRow, error: string) => void
  /**
   * A delivery round that failed as a whole (the store failing), to log and count. Without it,
   * the failure is an unhandled rejection: never silent.
   */
  onError?: (error: unknown) => void
}

/**
 * Delivers queued alerts at least once: a row is marked sent only after its channel accepted it,
 * so a crash in between sends it again (receivers drop the repeat by its dedup key). Failures
 * back off exponentially with jitter, never sooner than a receiver's retry-after.
 */
export function createOutboxWorker(store: Store, notifiers: Notifier[], options: OutboxOptions) {
  const clock = options.clock ?? Date.now
  const random = options.random ?? Math.random
  const byChannel = new Map(notifiers.map((n) => [n.channel, n]))
  let timer: NodeJS.Timeout | undefined
  let running = false
  let stopping = false
  let inFlight: Promise<void> | undefined

  const backoff = (attempt: number) => {
    const exp = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 30))
    return Math.round(exp / 2 + (random() * exp) / 2)
  }

  const deliverRow = async (row: OutboxRow): Promise<boolean | 'skipped'> => {
    // Replicas: another one may hold the row now, or have sent it meanwhile.
    if (!(await store.claimOutbox(row.id))) return 'skipped'
    const notifier = byChannel.get(row.channel)
    if (!notifier) {
      await store.markDead(row.id, `no notifier for channel ${row.channel}`)
      return false
    }
    try {
      if (await options.stale?.(row)) {
        await store.markSent(row.id, clock())
        return false
      }
      const payload = row.payload as OutboxPayload
      const receipt = await notifier.deliver(payload, row.attempts + 1)
      // A posted chat message about a proposal is remembered, so that updates can edit it.
      const message =
        receipt && isAlert(payload) && payload.proposalId
          ? { proposalId: payload.proposalId, ref: receipt.ref }
          : undefined
      await store.markSent(row.id, clock(), message)
      options.onDelivered?.(row.channel, row.payload as Alert)
      return true
    } catch (error) {
      const message = redactUrls(error instanceof Error ? error.message : String(error))
      const attempts = row.attempts + 1
      const permanent = error instanceof DeliveryError && error.permanent
      if (permanent || attempts >= options.maxAttempts) {
        await store.markDead(row.id, message)
        await store.audit({
          actor: 'custos',
          action: 'alert-undeliverable',
          subject: row.dedupKey,
          details: { channel: row.channel, attempts, error: message },
        })
        options.onFailed?.(row.channel, message, true)
        options.onGivenUp?.(row, message)
      } else {
        const wait = Math.max(
          backoff(attempts),
          error instanceof DeliveryError ? (error.retryAfterMs ?? 0) : 0,
        )
        await store.markRetry(row.id, clock() + wait, message)
        options.onFailed?.(row.channel, message, false)
      }
      return false
    }
  }

  // Channels are served side by side, each in order: a receiver that hangs until its timeout
  // delays only its own alerts.
  const deliverDue = async (): Promise<number> => {
    let delivered = 0
    for (;;) {
      if (stopping) return delivered
      const rows = await store.dueOutbox(clock(), 50)
      if (rows.length === 0) return delivered
      let skipped = 0
      const byChannelRows = new Map<string, OutboxRow[]>()
      for (const row of rows) byChannelRows.set(row.channel, [...(byChannelRows.get(row.channel) ?? []), row])
      const counts = await Promise.all(
        [...byChannelRows.values()].map(async (list) => {
          let n = 0
          for (const row of list) {
            if (stopping) break
            const done = await deliverRow(row)
            if (done === 'skipped') skipped++
            else if (done) n++
          }
          return n
        }),
      )
      delivered += counts.reduce((a, b) => a + b, 0)
      // Rows held elsewhere stay due here too: this round is over.
      if (skipped === rows.length) return delivered
    }
  }

  const tick = async () => {
    if (running || stopping) return
    running = true
    inFlight = deliverDue()
      .then(() => undefined)
      .finally(() => {
        running = false
      })
    await inFlight
  }

  const round = () => {
    const done = tick()
    if (options.onError) done.catch(options.onError)
  }

  return {
    start() {
      stopping = false
      timer = setInterval(round, options.pollMs)
      round()
    },
    /** Ask for an immediate delivery round (after new alerts were committed). */
    wake: round,
    /** Delivers whatever is due now; resolves when done (tests, and drains before exit). */
    flush: async () => {
      while (running) await inFlight
      await tick()
    },
    /** Finishes the delivery in flight and stops; what is left stays queued for the next start. */
    async stop() {
      stopping = true
      if (timer) clearInterval(timer)
      await inFlight
    },
  }
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>
