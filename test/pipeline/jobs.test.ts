import { describe, expect, it } from 'vitest'
import { FatalError, RetryableError } from '../../src/model/errors.js'
import { silentLogger } from '../../src/model/logger.js'
import { createJobRunner, type Job } from '../../src/pipeline/jobs.js'
import { createMetrics } from '../../src/server/metrics.js'

// The job runner every source runs on: spread start times, no overlap with a job's own run in
// flight, health and readiness per job, retryable and fatal failures told apart.

const runnerFor = (
  schedule: (expression: string, fn: () => void) => () => void = () => () => {},
  leads?: (lease: string) => boolean,
) => {
  const fatal: string[] = []
  const metrics = createMetrics()
  const runner = createJobRunner({
    logger: silentLogger,
    metrics,
    clock: Date.now,
    schedule,
    onFatalError: (job) => fatal.push(job),
    ...(leads ? { leads } : {}),
  })
  return { runner, fatal, metrics }
}
const job = (name: string, run: () => Promise<void>, extra: Partial<Job> = {}): Job => ({
  name,
  kind: 'tx-service',
  everySeconds: 1,
  source: true,
  atStart: true,
  run,
  ...extra,
})

describe('the job runner', () => {
  it('spreads jobs over the interval instead of running them in a burst', async () => {
    const at: number[] = []
    const t0 = performance.now()
    const { runner } = runnerFor()
    for (let i = 0; i < 4; i++)
      runner.add(job(`s${i}`, async () => void at.push(performance.now() - t0), { offsetMs: i * 100 }))
    runner.start()
    await new Promise((r) => setTimeout(r, 500))
    await runner.stop()
    expect(at).toHaveLength(4)
    // Timers never fire early: the i-th job runs no sooner than i quarters of the interval.
    for (const [i, t] of at.entries()) expect(t).toBeGreaterThanOrEqual(i * 100 - 2)
  })

  it('skips a job whose previous run is still going, and records its failures', async () => {
    let calls = 0
    const { runner, metrics } = runnerFor((_e, fn) => {
      const t = setInterval(fn, 10)
      return () => clearInterval(t)
    })
    runner.add(
      job('slow', async () => {
        calls++
        await new Promise((r) => setTimeout(r, 150))
        throw new RetryableError('node down')
      }),
    )
    runner.start()
    await new Promise((r) => setTimeout(r, 100))
    expect(calls).toBe(1) // ticks every 10 ms, but the run in flight is not started again
    await runner.stop()
    expect(runner.health.get('slow')).toMatchObject({
      lastSuccess: null,
      failures: 1,
      lastError: 'node down',
    })
    expect(runner.health.get('slow')?.fatal).toBeUndefined()
    expect(runner.ready.has('slow')).toBe(false)
    expect(await metrics.registry.metrics()).toMatch(
      /custos_source_errors_total\{source="tx-service",chain=""\} 1/,
    )
  })

  it('marks a job ready on success and reports a failure that trying again cannot fix', async () => {
    const { runner, fatal } = runnerFor()
    let fail = false
    runner.add(
      job(
        'j',
        async () => {
          if (fail) throw new Error('wrapped', { cause: new FatalError('not a governor') })
        },
        { ready: 'tx-service:1' },
      ),
    )
    runner.start()
    await runner.runNow('j')
    expect(runner.ready.has('tx-service:1')).toBe(true)
    expect(runner.health.get('j')?.lastSuccess).toBeTypeOf('number')
    fail = true
    await runner.runNow('j')
    expect(runner.health.get('j')).toMatchObject({ failures: 1, fatal: true })
    expect(fatal).toEqual(['j'])
    await runner.stop()
  })

  it('waits for the runs in flight when it stops', async () => {
    const { runner } = runnerFor()
    let done = false
    runner.add(
      job('long', async () => {
        await new Promise((r) => setTimeout(r, 200))
        done = true
      }),
    )
    runner.start()
    await runner.stop()
    expect(done).toBe(true)
  })

  it('runs a leased job only on the replica holding its lease; the others stand by, healthy and ready', async () => {
    const held = new Set(['mine'])
    const ran: string[] = []
    const { runner } = runnerFor(undefined, (lease) => held.has(lease))
    for (const name of ['mine', 'theirs'])
      runner.add(job(name, async () => void ran.push(name), { lease: name, ready: `ready:${name}` }))
    runner.add(job('internal', async () => void ran.push('internal'), { source: false }))
    expect(runner.leases().sort()).toEqual(['mine', 'theirs'])
    await Promise.all(['mine', 'theirs', 'internal'].map((n) => runner.runNow(n)))
    expect(ran.sort()).toEqual(['internal', 'mine'])
    expect(runner.health.get('theirs')).toMatchObject({ failures: 0 })
    expect(runner.health.get('theirs')?.lastSuccess).toBeTypeOf('number')
    expect([...runner.ready].sort()).toEqual(['internal', 'ready:mine', 'ready:theirs'])
    // The lease moves here: the job runs.
    held.add('theirs')
    await runner.runNow('theirs')
    expect(ran).toContain('theirs')
  })
})
