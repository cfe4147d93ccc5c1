//! # Flow
//! The watch loop (`custos run`), in ten lines:
//! 1. The config's `safes`, `governors`, `timelocks` and `protocols` are targets (`rt.targets`).
//! 2. Sources read them on a schedule: the transaction service per Safe (safe-poll.ts), the Safe
//!    events per chain (safe-chain.ts), governor and timelock events per chain and pending
//!    proposals again (governance-events.ts), the drift watchdog (health.ts), each protocol's
//!    checks every block (protocols.ts).
//! 3. Each new or changed proposal is inspected (verify, simulate, guards: `inspect` in
//!    ../pipeline.ts and inspect-governance.ts), and each broken check's episode reported, and
//!    judged on one path for every kind (judge.ts).
//! 4. The judgement is one batch (proposal row, report, alerts, ladder, cursor), committed
//!    atomically; then the vetoes it decided run (veto.ts → ../respond/veto/).
//! 5. The outbox delivers alerts (delivery.ts); the ladder chases them (ladder.ts); chat presses
//!    and commands come back through chat-commands.ts.
//! One job runner (jobs.ts) owns scheduling, no-overlap, health, readiness, metrics and logs.
//! Replicas on PostgreSQL (cluster.ts): each source runs on the replica holding its lease.

import type { Address } from 'viem'
import type { Logger } from '../model/logger.js'
import { redactUrl } from '../model/redact.js'
import { stopAll } from '../model/stop-all.js'
import type { Store, WorkBatch } from '../model/store.js'
import { createConfiguredSimulator, type Runtime } from '../pipeline.js'
import type { Metrics } from '../server/metrics.js'
import { createChainClients, createServiceAccess } from './chains.js'
import { createChatCommands } from './chat-commands.js'
import { createCluster } from './cluster.js'
import { act, createSafeStates, type WatchContext } from './context.js'
import { createDelivery } from './delivery.js'
import { createFaultReporter } from './faults.js'
import { governanceEventsSource, resimulateSource } from './governance-events.js'
import { guardEventsSource } from './guard-events.js'
import { checkSilence, driftSource, driftWork } from './health.js'
import { createJobRunner, sourceJob } from './jobs.js'
import { climbLadders } from './ladder.js'
import type { Channels } from './notifiers.js'
import { protocolSource } from './protocols.js'
import { secondOpinions } from './quorum.js'
import { safeEventsSource } from './safe-chain.js'
import { safeServiceSource } from './safe-poll.js'
import { createSchedule, type Schedule } from './schedule.js'
import { createSilenceWatch } from './silences.js'
import { createVetoer, loadGuardian } from './veto.js'

/** How long SIGTERM waits for a last delivery round before leaving alerts queued. */
const STOP_DELIVERY_MS = 5000

export type WatchDeps = {
  rt: Runtime
  env: NodeJS.ProcessEnv
  logger: Logger
  store: Store
  metrics: Metrics
  /** Where alerts go (see `buildNotifiers`); its two-way parts start and stop with the watcher. */
  channels: Channels
  publicUrl: string
  clock?: () => number
  /** Runs `fn` on a cron-style schedule (see `cronFor`); returns a stop function. */
  schedule?: Schedule
  /** A job failed in a way trying again cannot fix (it keeps its schedule; this hears of it). */
  onFatalError?: (job: string, error: unknown) => void
  /** custos's version, as replicas show it to each other. */
  version?: string
}

export function createWatcher(deps: WatchDeps) {
  const { rt, logger, store, metrics } = deps
  const { config, targets } = rt
  const clock = deps.clock ?? Date.now
  const chains = createChainClients(config, deps.env, targets.chains(), metrics)
  const access = createServiceAccess(config, deps.env, clock)
  // Forks a killed predecessor left behind are reaped through the pid file in the data directory.
  const simulator = createConfiguredSimulator(rt, { pidFile: `${config.dataDir}/forks.pid` })
  const commit = async (batch: WorkBatch) => {
    const { enqueued, applied } = await store.commit(batch)
    if (enqueued > 0) outbox.wake()
    metrics.outboxDepth.set(await store.outboxDepth())
    return { applied }
  }
  const notifiers = deps.channels.notifiers
  // Nothing that fails in the background fails silently: it is counted and logged.
  const fault = createFaultReporter(logger, metrics)
  const outbox = createDelivery({ config, store, metrics, logger, notifiers, clock, commit, fault })
  const ctx: WatchContext = {
    ...{ rt, config, targets, logger, store, metrics, notifiers, outbox, simulator, clock, commit },
    ...chains,
    publicUrl: deps.publicUrl,
    safes: createSafeStates(),
  }
  const signer = loadGuardian(config, deps.env, logger)
  ctx.vetoer = createVetoer(ctx, { signer, proposer: access.service })

  const startedAt = clock()
  const cluster = createCluster({
    ...{ store, config, logger, metrics, version: deps.version ?? 'unknown' },
    onAcquired: (lease) => void runner.runNow(lease),
  })
  ctx.cluster = cluster
  const runner = createJobRunner({
    logger,
    metrics,
    clock,
    schedule: deps.schedule ?? createSchedule(logger),
    leads: cluster.leads,
    ...(deps.onFatalError ? { onFatalError: deps.onFatalError } : {}),
  })
  const src = config.sources
  const safes = targets.ofKind('safe')
  if (src.txService.enabled)
    // The Safes are spread over the interval, so requests do not arrive in bursts.
    safes.forEach((t, i) => {
      const offset = Math.floor((i * src.txService.intervalSeconds * 1000) / safes.length)
      runner.add(sourceJob(ctx, safeServiceSource(ctx, access, t, offset)))
    })
  // A Safe whose configuration changed on chain: its drift is checked and it is polled at once.
  const changed = (t: (typeof safes)[number]) => {
    if (t.expected)
      void driftWork(ctx, t)
        .then((w) => act(ctx, w))
        .catch((e) => logger.warn({ safe: t.address, error: String(e) }, 'drift re-check failed'))
    void runner.runNow(`tx-service:${t.chainId}:${t.address}`)
  }
  if (src.chainEvents.enabled)
    for (const c of targets.chains('safe')) runner.add(sourceJob(ctx, safeEventsSource(ctx, c, changed)))
  // The custos Guard's events, on the chains where a watched Safe runs it with custos as guardian.
  if (src.chainEvents.enabled)
    for (const c of new Set(safes.filter((t) => t.guard).map((t) => t.chainId)))
      runner.add(sourceJob(ctx, guardEventsSource(ctx, c)))
  if (src.governance.enabled && targets.chains('governor', 'timelock').length) {
    for (const c of targets.chains('governor', 'timelock'))
      runner.add(sourceJob(ctx, governanceEventsSource(ctx, c)))
    runner.add(sourceJob(ctx, resimulateSource(ctx)))
  }
  if (src.drift.enabled && safes.some((s) => s.expected)) runner.add(sourceJob(ctx, driftSource(ctx)))
  const protocols = src.protocols.enabled ? targets.ofKind('protocol') : []
  for (const t of protocols) runner.add(sourceJob(ctx, protocolSource(ctx, t)))
  const internal = (name: string, everySeconds: number, run: () => Promise<unknown>) =>
    runner.add({
      name,
      kind: name,
      everySeconds,
      source: false,
      atStart: false,
      run: async () => void (await run()),
    })
  // The escalation ladder: due rows climb one rung at a time; a silence that ended re-judges.
  const ladder = () => runner.runNow('ladder')
  const expiredSilences = createSilenceWatch(ctx)
  internal('ladder', 2, async () => {
    await expiredSilences()
    await climbLadders(ctx)
  })
  // Agreement before a veto: what another replica judged worth one, this one judges too.
  if (config.veto.quorum > 1) internal('second-opinion', 2, () => secondOpinions(ctx))
  let heartbeat = clock()
  internal('heartbeat', 5, async () => {
    heartbeat = clock()
    metrics.heartbeat.set(Math.floor(heartbeat / 1000))
    await Promise.all([
      checkSilence(
        ctx,
        runner.health,
        { intervals: src.silentAfterIntervals, seconds: src.silentAfterSeconds },
        startedAt,
      ).catch((e) => fault('silent-source check', e)),
      store
        .outboxDepth()
        .then((n) => metrics.outboxDepth.set(n))
        .catch((e) => fault('outbox depth', e)),
    ])
  })

  const status = () => ({
    heartbeatAgeMs: clock() - heartbeat,
    ready: [...runner.ready],
    expected: [
      ...(src.txService.enabled ? targets.chains('safe').map((c) => `tx-service:${c}`) : []),
      ...(src.chainEvents.enabled ? targets.chains('safe').map((c) => `chain-events:${c}`) : []),
      ...(src.governance.enabled ? targets.chains('governor', 'timelock').map((c) => `governance:${c}`) : []),
      ...protocols.map((t) => `protocol:${t.chainId}:${t.address}`),
    ],
    sources: Object.fromEntries(runner.health),
    replica: cluster.id,
    leads: cluster.held(),
  })
  return {
    ctx,
    status,
    async start() {
      const rpc = targets.chains().map((c) => ({ chainId: c, rpc: chains.upstreams(c).map(redactUrl) }))
      logger.info({ targets: targets.all.length, chains: rpc }, 'custos watching')
      await cluster.start(runner.leases(), runner.busy)
      // A replica standing by may have to take a Safe over at any moment: its first poll then
      // must not wait for the service client (loading api-kit alone takes most of a second on a
      // busy machine), so every replica makes it now (a failure here fails the polls too).
      if (src.txService.enabled)
        for (const c of targets.chains('safe'))
          access.service(c).catch((e) => fault('transaction service client', e))
      outbox.start()
      // Every Safe's last-poll series exists from the start (0: never polled), so a Safe that
      // never succeeds shows on a dashboard instead of being absent from it.
      for (const t of safes) metrics.lastPoll.set({ chain: String(t.chainId), safe: t.address }, 0)
      runner.start()
      await deps.channels.start(createChatCommands(ctx, { status, wakeLadder: () => void ladder() }))
    },
    /** Hint from a push notification: poll this Safe now (the hint itself is not trusted). */
    hint(chainId: number, safe: Address): boolean {
      const t = targets.get(chainId, safe)
      if (t?.kind !== 'safe' || !src.txService.enabled) return false
      void runner.runNow(`tx-service:${t.chainId}:${t.address}`)
      return true
    },
    /**
     * Stops polling, finishes the work in flight (and the alert being delivered), then closes
     * forks; every step runs whatever the others do. The steps that failed are returned.
     */
    stop: (): Promise<string[]> =>
      stopAll(logger, [
        ['sources', () => runner.stop()],
        ['transaction service clients', () => access.close()],
        // One last delivery round, bounded: what is left stays queued for the next start.
        [
          'last delivery round',
          () => Promise.race([outbox.flush(), new Promise((r) => setTimeout(r, STOP_DELIVERY_MS))]),
        ],
        ['outbox', () => outbox.stop()],
        ['chat channels', () => deps.channels.stop()],
        ['leases', () => cluster.stop()],
        ['forks', () => simulator.close()],
      ]),
  }
}

export type Watcher = ReturnType<typeof createWatcher>
