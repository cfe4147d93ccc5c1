import { cronFor } from '../config/watch.js'
import { isFatal } from '../model/errors.js'
import type { Logger } from '../model/logger.js'
import { errorText, redactUrls } from '../model/redact.js'
import type { Metrics } from '../server/metrics.js'
import { act, type WatchContext, type Work } from './context.js'

// Everything the watch loop does on a schedule is a job, and one runner owns what every job
// needs: no overlap with its own previous run, health (last success, failures, last error),
// readiness, metrics and logs, retrying what may pass and reporting what cannot.

/**
 * Something custos reads on a schedule (the transaction service for one Safe, one chain's Safe
 * events, its governors' events…). Each unit of work it yields is committed, then acted on,
 * before the next is read: a cursor only ever moves with the work for its blocks.
 */
export type Source = {
  /** What it reads: the `source` label of its metrics. */
  kind: string
  /** Its health key, e.g. `chain-events:1` or `tx-service:1:0xSafe`. */
  name: string
  /** What it watches, named as the configuration names it: alerts and /readyz show it (default: its name). */
  label?: string
  chainId?: number
  everySeconds: number
  /** Started this long after each tick, so many sources of one kind do not run in a burst. */
  offsetMs?: number
  /** The readiness key its first success sets (default: its name). */
  ready?: string
  /** Replicas on one store: the lease whose holder runs it (default: its name). */
  lease?: string
  poll(): AsyncIterable<Work>
  /** After each successful run (e.g. a per-Safe metric). */
  onSuccess?(): void
}

export type Job = {
  name: string
  label?: string
  kind: string
  chainId?: number
  everySeconds: number
  offsetMs?: number
  ready?: string
  /** A source's health counts for readiness and silence; an internal job's (the ladder) only for logs. */
  source: boolean
  /** Run once at start, not only at the first tick. */
  atStart: boolean
  /** Run only by the replica holding this lease (the others stand by). */
  lease?: string
  run(): Promise<void>
  onSuccess?(): void
}

export type SourceHealth = {
  /** What is watched, named as the configuration names it. */
  source: string
  /** When it last succeeded; null when it never has. */
  lastSuccess: number | null
  intervalMs: number
  failures: number
  lastError?: string
  /** The last failure cannot pass by trying again. */
  fatal?: boolean
}

export type JobRunnerDeps = {
  logger: Logger
  metrics: Metrics
  clock: () => number
  /** Runs `fn` on a cron schedule; returns a stop function. */
  schedule(expression: string, fn: () => void): () => void
  /** A failure that trying again cannot fix (the job keeps its schedule). */
  onFatalError?(job: string, error: unknown): void
  /** Whether this replica holds a lease (always, when one process owns the store). */
  leads?(lease: string): boolean
}

/** A source as a job: each unit of work it yields is committed and acted on in order. */
export function sourceJob(ctx: WatchContext, source: Source): Job {
  const lease = source.lease ?? source.name
  return {
    name: source.name,
    ...(source.label ? { label: source.label } : {}),
    kind: source.kind,
    ...(source.chainId !== undefined ? { chainId: source.chainId } : {}),
    everySeconds: source.everySeconds,
    ...(source.offsetMs !== undefined ? { offsetMs: source.offsetMs } : {}),
    ...(source.ready ? { ready: source.ready } : {}),
    source: true,
    atStart: true,
    lease,
    async run() {
      for await (const work of source.poll()) {
        // A leader that lost its lease mid-run leaves the rest to the new one (from the cursor).
        if (ctx.cluster && !ctx.cluster.leads(lease)) return
        await act(ctx, work)
      }
    },
    ...(source.onSuccess ? { onSuccess: source.onSuccess } : {}),
  }
}

const fresh = (job: Job): SourceHealth => ({
  source: job.label ?? job.name,
  lastSuccess: null,
  intervalMs: job.everySeconds * 1000,
  failures: 0,
})

export function createJobRunner(deps: JobRunnerDeps) {
  const { logger, metrics, clock } = deps
  const jobs = new Map<string, Job>()
  const health = new Map<string, SourceHealth>()
  const ready = new Set<string>()
  const running = new Map<string, Promise<void>>()
  const timers = new Set<NodeJS.Timeout>()
  const stops: Array<() => void> = []
  let stopped = false

  const mark = (job: Job, error?: unknown) => {
    if (!job.source) return
    const h = health.get(job.name) ?? fresh(job)
    if (error === undefined) health.set(job.name, { ...h, lastSuccess: clock(), failures: 0 })
    else {
      const { lastError: _, fatal: __, ...rest } = h
      health.set(job.name, {
        ...rest,
        failures: h.failures + 1,
        lastError: redactUrls(errorText(error)),
        ...(isFatal(error) ? { fatal: true } : {}),
      })
    }
  }

  /** Runs a job unless its previous run is still going; never throws. */
  const runOnce = (job: Job): Promise<void> => {
    const busy = running.get(job.name)
    if (busy || stopped) return busy ?? Promise.resolve()
    if (job.lease && deps.leads && !deps.leads(job.lease)) {
      // Another replica leads it: standing by is this one's part, healthy and ready.
      mark(job)
      ready.add(job.ready ?? job.name)
      return Promise.resolve()
    }
    const run = (async () => {
      try {
        await job.run()
        mark(job)
        ready.add(job.ready ?? job.name)
        job.onSuccess?.()
      } catch (error) {
        mark(job, error)
        const chain = job.chainId !== undefined ? String(job.chainId) : ''
        metrics.sourceErrors.inc({ source: job.kind, chain })
        const text = redactUrls(errorText(error))
        if (isFatal(error)) {
          logger.error({ job: job.name, error: text }, `${job.kind} failed, and trying again cannot help`)
          deps.onFatalError?.(job.name, error)
        } else logger.warn({ job: job.name, error: text }, `${job.kind} failed; trying again next time`)
      } finally {
        running.delete(job.name)
      }
    })()
    running.set(job.name, run)
    return run
  }

  const later = (job: Job) => {
    if (!job.offsetMs) return void runOnce(job)
    const timer = setTimeout(() => {
      timers.delete(timer)
      void runOnce(job)
    }, job.offsetMs)
    timers.add(timer)
  }

  return {
    add(job: Job) {
      jobs.set(job.name, job)
      if (job.source && !health.has(job.name)) health.set(job.name, fresh(job))
    },
    /** Starts every job's schedule (jobs of one interval share a tick) and the first runs. */
    start() {
      stopped = false
      const byInterval = new Map<number, Job[]>()
      for (const job of jobs.values()) {
        byInterval.set(job.everySeconds, [...(byInterval.get(job.everySeconds) ?? []), job])
        if (job.atStart) later(job)
      }
      for (const [seconds, group] of byInterval)
        stops.push(deps.schedule(cronFor(seconds), () => group.forEach(later)))
    },
    /** Runs a job now (a push hint), or joins its run in flight. */
    runNow: (name: string): Promise<void> => {
      const job = jobs.get(name)
      return job ? runOnce(job) : Promise.resolve()
    },
    has: (name: string) => jobs.has(name),
    /** The leases of the jobs (their sources), for the replicas to share out. */
    leases: () => [...new Set([...jobs.values()].flatMap((j) => (j.lease ? [j.lease] : [])))],
    busy: (name: string) => running.has(name),
    health,
    ready,
    /** Stops the schedules and waits for the runs in flight. */
    async stop() {
      stopped = true
      for (const s of stops.splice(0)) s()
      for (const t of timers) clearTimeout(t)
      timers.clear()
      while (running.size) await Promise.allSettled([...running.values()])
    },
  }
}

export type JobRunner = ReturnType<typeof createJobRunner>
