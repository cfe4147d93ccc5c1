import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Address, type PublicClient, parseAbi } from 'viem'
import { resolveSecret } from '../config/load.js'
import { cronFor } from '../config/watch.js'
import { InputError } from '../model/errors.js'
import type { Logger } from '../model/logger.js'
import { errorText, redactUrl, redactUrls } from '../model/redact.js'
import type { SafeState } from '../model/safe.js'
import { createConfiguredSimulator, type Runtime } from '../pipeline.js'
import { eventAlert } from '../respond/events.js'
import { createOutboxWorker } from '../respond/outbox.js'
import { createVetoSigner, loadVetoKey } from '../respond/veto-signer.js'
import type { Metrics } from '../server/metrics.js'
import { createRateGate, type RateGate, watchRateLimits } from '../sources/rate-gate.js'
import { createRpcClient } from '../sources/rpc.js'
import { scanSafeEvents } from '../sources/safe-events.js'
import { createServicePoller, type PollTarget } from '../sources/service-poller.js'
import { createServiceClient, type ServiceClient } from '../sources/tx-service.js'
import type { Store, WorkBatch } from '../store/types.js'
import { readSafeState } from '../verify/chain.js'
import { fanOut } from './alerts.js'
import { silenceChanged } from './chat.js'
import { createChatCommands } from './chat-commands.js'
import { safeKey, type WatchContext } from './context.js'
import { climbLadders } from './escalation.js'
import { handleEvents } from './events.js'
import { createFaultReporter } from './faults.js'
import { createGovernanceWatch } from './governance-watch.js'
import { checkDrift, checkSilence, type SourceHealth } from './health.js'
import type { Channels } from './notifiers.js'
import { handlePending } from './proposals.js'
import { createSchedule, type Schedule } from './schedule.js'
import { createVetoer } from './veto.js'

const HOSTED_SERVICE = 'https://api.safe.global/tx-service'
/** How long SIGTERM waits for a last delivery round before leaving alerts queued. */
const STOP_DELIVERY_MS = 5000
const nonceAbi = parseAbi(['function nonce() view returns (uint256)'])
const readNonce = (client: PublicClient, safe: Address) =>
  client.readContract({ address: safe, abi: nonceAbi, functionName: 'nonce' })

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
}

/**
 * The watch loop: polls the transaction service and follows the chain for every watched Safe,
 * runs each new or changed proposal through the pipeline, stores reports and queues alerts in
 * the outbox, checks configuration drift, and reports sources that fall silent.
 */
export function createWatcher(deps: WatchDeps) {
  const { rt, logger, store, metrics } = deps
  const config = rt.config
  const clock = deps.clock ?? Date.now
  const schedule = deps.schedule ?? createSchedule(logger)
  const fault = createFaultReporter(logger, metrics)
  const chains = [
    ...new Set([...config.safes, ...config.governors, ...config.timelocks].map((s) => s.chainId)),
  ]
  const safeChains = [...new Set(config.safes.map((s) => s.chainId))]
  mkdirSync(config.dataDir, { recursive: true })

  const rpcUrls = new Map<number, string[]>()
  const clients = new Map<number, PublicClient>()
  for (const chainId of chains) {
    const urls = (config.chains[String(chainId)]?.rpc ?? []).map((r, i) =>
      resolveSecret(r, deps.env, `chains.${chainId}.rpc[${i}]`),
    )
    if (urls.length === 0)
      throw new InputError(`chains.${chainId}.rpc: no RPC endpoint for a watched Safe's chain`)
    rpcUrls.set(chainId, urls)
    clients.set(
      chainId,
      createRpcClient(urls, {
        onOutcome: (o) => {
          if (o.ok) return
          metrics.rpcErrors.inc({ chain: String(chainId), endpoint: String(o.index) })
          if (!o.last) metrics.rpcFailovers.inc({ chain: String(chainId) })
        },
      }),
    )
  }

  // Forks a killed predecessor left behind are reaped through the pid file in the data directory.
  const simulator = createConfiguredSimulator(rt, { pidFile: join(config.dataDir, 'forks.pid') })
  const outbox = createOutboxWorker(store, deps.channels.notifiers, {
    ...config.outbox,
    clock,
    onDelivered: (channel) => metrics.alertsDelivered.inc({ channel }),
    // An alert a channel gave up on is itself an alert, on the other channels.
    onGivenUp: (row, error) => {
      metrics.alertsDead.inc({ channel: row.channel })
      const alert = eventAlert({
        level: 'high',
        title: `alert undeliverable on ${row.channel}`,
        summary: `"${(row.payload as { title?: string }).title ?? row.dedupKey}" could not be delivered to ${row.channel}: ${error}`,
        dedupKey: `undeliverable:${row.channel}:${row.dedupKey}`,
        now: clock(),
      })
      const outbox = fanOut(ctx, alert).filter((o) => o.channel !== row.channel)
      if (outbox.length)
        void ctx.commit({ outbox }).catch((e) => fault('announcing an undeliverable alert', e))
    },
    // A ladder's notice that waited out a retry after the ladder was acknowledged, restarted or
    // closed would call people for nothing.
    stale: async (row) => {
      const p = row.payload as { kind?: string; proposalId?: string; dedupKey?: string }
      if (p.kind !== 'escalation' || !p.proposalId) return undefined
      const e = await store.getEscalation(p.proposalId)
      if (e?.status !== 'open') return 'the ladder is no longer open'
      return p.dedupKey?.includes(`:escalation:${e.startedAt}:`) ? undefined : 'a newer ladder replaced it'
    },
    onError: (error) => fault('alert delivery round', error),
    onFailed: (channel, error, final) =>
      logger.warn({ channel, error, final }, final ? 'alert given up' : 'alert delivery failed; will retry'),
  })
  const inFlight = new Set<Promise<unknown>>()
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p)
    // Whoever awaits `p` handles its failure; this only stops tracking it.
    const untrack = () => void inFlight.delete(p)
    p.then(untrack, untrack)
    return p
  }

  const ctx: WatchContext = {
    rt,
    config,
    logger,
    store,
    metrics,
    notifiers: deps.channels.notifiers,
    outbox,
    simulator,
    clock,
    publicUrl: deps.publicUrl,
    client: (chainId) => clients.get(chainId) as PublicClient,
    upstreams: (chainId) => rpcUrls.get(chainId) ?? [],
    safe: (chainId, address) =>
      config.safes.find((s) => s.chainId === chainId && s.address.toLowerCase() === address.toLowerCase()),
    epoch: new Map(),
    states: new Map<string, SafeState>(),
    seenEvents: new Set(),
    async commit(batch: WorkBatch) {
      const { enqueued } = await store.commit(batch)
      if (enqueued > 0) outbox.wake()
      metrics.outboxDepth.set(await store.outboxDepth())
    },
  }

  const health = new Map<string, SourceHealth>()
  const started = clock()
  // `source` names what is watched the way the configuration does: alerts and /readyz show it.
  const mark = (name: string, source: string, intervalMs: number, ok: boolean, error?: string) => {
    const h = health.get(name) ?? { source, lastSuccess: null, since: started, intervalMs, failures: 0 }
    if (ok) health.set(name, { source, lastSuccess: clock(), since: started, intervalMs, failures: 0 })
    else
      health.set(name, { ...h, failures: h.failures + 1, ...(error ? { lastError: redactUrls(error) } : {}) })
  }
  const names = (chainId: number, list: Array<{ chainId: number; name: string }>) =>
    list
      .filter((x) => x.chainId === chainId)
      .map((x) => x.name)
      .join(', ')
  const ready = new Set<string>()

  // Transaction service, per chain; one rate gate per service host (Safe's hosted one by default).
  const services = new Map<number, Promise<ServiceClient>>()
  const unwatch: Array<() => void> = []
  const gates = new Map<string, RateGate>()
  const serviceUrl = (chainId: number) => config.chains[String(chainId)]?.txService ?? HOSTED_SERVICE
  const gateFor = (chainId: number): RateGate => {
    const host = new URL(serviceUrl(chainId)).host
    let g = gates.get(host)
    if (!g) {
      g = createRateGate(clock)
      gates.set(host, g)
      unwatch.push(watchRateLimits(serviceUrl(chainId), g))
    }
    return g
  }
  const service = (chainId: number) => {
    let s = services.get(chainId)
    if (!s) {
      const chain = config.chains[String(chainId)]
      const apiKey = chain?.txServiceApiKeyEnv ? deps.env[chain.txServiceApiKeyEnv] : undefined
      gateFor(chainId)
      s = createServiceClient({
        chainId,
        ...(chain?.txService ? { url: chain.txService } : {}),
        ...(apiKey ? { apiKey } : {}),
      })
      services.set(chainId, s)
    }
    return s
  }
  const svc = config.sources.txService
  const targets: PollTarget[] = config.safes.map((s) => ({ chainId: s.chainId, safe: s.address as Address }))
  const poller = createServicePoller({
    targets,
    intervalMs: svc.intervalSeconds * 1000,
    gate: (t) => gateFor(t.chainId),
    // One RPC call per Safe and poll: the nonce. The rest of the Safe's state is read once and
    // again only after the chain events say it changed (they drop the cached state).
    currentNonce: async (t) => {
      const key = safeKey(t.chainId, t.safe)
      const known = ctx.states.get(key)
      if (!known) {
        const state = await readSafeState(ctx.client(t.chainId), t.safe)
        ctx.states.set(key, state)
        return state.nonce
      }
      const epoch = ctx.epoch.get(key) ?? 0
      const nonce = await readNonce(ctx.client(t.chainId), t.safe)
      // Chain events may have dropped the cached state meanwhile: never bring a stale one back.
      if (nonce !== known.nonce && (ctx.epoch.get(key) ?? 0) === epoch && ctx.states.has(key)) {
        ctx.epoch.set(key, (ctx.epoch.get(key) ?? 0) + 1)
        ctx.states.set(key, { ...known, nonce })
      }
      return nonce
    },
    pending: async (t, nonce) => (await service(t.chainId)).pending(t.safe, nonce, svc.pageSize),
    onTransactions: (t, txs, nonce, problems) => track(handlePending(ctx, t, txs, nonce, problems)),
    onResult: (t, ok, error) => {
      // Health per Safe: one Safe failing every poll must not hide behind others that succeed.
      const watched = ctx.safe(t.chainId, t.safe)
      const source = `transaction service for ${watched?.name ?? t.safe} (chain ${t.chainId})`
      mark(`tx-service:${t.chainId}:${t.safe}`, source, svc.intervalSeconds * 1000, ok, error)
      if (ok) {
        ready.add(`tx-service:${t.chainId}`)
        metrics.lastPoll.set({ chain: String(t.chainId), safe: t.safe }, Math.floor(clock() / 1000))
      } else {
        metrics.sourceErrors.inc({ source: 'tx-service', chain: String(t.chainId) })
        logger.warn({ safe: t.safe, chainId: t.chainId, error }, 'transaction service poll failed')
      }
    },
    schedule: (round) => schedule(cronFor(svc.intervalSeconds), round),
  })

  // Chain events, per chain.
  const ev = config.sources.chainEvents
  const scanning = new Set<number>()
  const scan = async (chainId: number) => {
    if (scanning.has(chainId)) return
    scanning.add(chainId)
    const name = `chain-events:${chainId}`
    const source = `chain events on chain ${chainId} (${names(chainId, config.safes)})`
    try {
      await track(
        scanSafeEvents({
          client: ctx.client(chainId),
          safes: config.safes.filter((s) => s.chainId === chainId).map((s) => s.address as Address),
          reorgWindow: ev.reorgWindow,
          maxBlockRange: ev.maxBlockRange,
          cursor: async () => {
            const v = await store.getCursor('safe-events', chainId)
            return v === undefined ? undefined : BigInt(v)
          },
          handle: (events, _from, to) =>
            handleEvents(ctx, chainId, events, to, (safe) => {
              const watched = ctx.safe(chainId, safe)
              if (!watched) return
              void track(checkDrift(ctx, watched)).catch((e) => fault('drift re-check', e))
              void poller.pollNow({ chainId, safe: watched.address as Address })
            }),
        }),
      )
      mark(name, source, ev.intervalSeconds * 1000, true)
      ready.add(name)
    } catch (error) {
      const message = errorText(error)
      mark(name, source, ev.intervalSeconds * 1000, false, message)
      metrics.sourceErrors.inc({ source: 'chain-events', chain: String(chainId) })
      logger.warn({ chainId, error: message }, 'chain event scan failed')
    } finally {
      scanning.delete(chainId)
    }
  }

  // Vetoes: the key is loaded once, at start; a key that cannot be loaded stops custos at once.
  const v = config.veto
  const signer =
    v.enabled && (v.keyEnv || v.keystore)
      ? createVetoSigner(
          loadVetoKey({
            env: deps.env,
            ...(v.keyEnv ? { keyEnv: v.keyEnv } : {}),
            ...(v.keystore ? { keystoreFile: v.keystore.file, passphraseEnv: v.keystore.passphraseEnv } : {}),
          }),
        )
      : undefined
  // Loaded (or not needed): out of the environment, which the anvil processes custos starts
  // would inherit.
  if (v.keyEnv) delete deps.env[v.keyEnv]
  if (v.keystore) delete deps.env[v.keystore.passphraseEnv]
  ctx.vetoer = createVetoer(ctx, { signer, service })
  if (signer) logger.info({ guardian: signer.address, dryRun: v.dryRun }, 'veto key loaded')

  // Governance: governors' and timelocks' events, and pending proposals simulated again.
  const gov = createGovernanceWatch(ctx, track)
  const governance = async (chainId: number) => {
    const name = `governance:${chainId}`
    const source = `governance events on chain ${chainId} (${names(chainId, [...config.governors, ...config.timelocks])})`
    const every = config.sources.governance.intervalSeconds * 1000
    try {
      await gov.scan(chainId)
      mark(name, source, every, true)
      ready.add(name)
    } catch (error) {
      mark(name, source, every, false, errorText(error))
      metrics.sourceErrors.inc({ source: 'governance', chain: String(chainId) })
      logger.warn({ chainId, error: errorText(error) }, 'governance scan failed')
    }
  }
  let resimulating = false
  const resimulate = async () => {
    if (resimulating) return
    resimulating = true
    try {
      await gov.resimulate()
    } catch (error) {
      logger.warn({ error: errorText(error) }, 'governance re-simulation failed')
    } finally {
      resimulating = false
    }
  }

  const drift = async () => {
    const name = 'drift'
    try {
      for (const s of config.safes) await track(checkDrift(ctx, s))
      mark(name, 'drift check', config.sources.drift.intervalSeconds * 1000, true)
      ready.add(name)
    } catch (error) {
      mark(name, 'drift check', config.sources.drift.intervalSeconds * 1000, false, errorText(error))
      logger.warn({ error: errorText(error) }, 'drift check failed')
    }
  }

  // The escalation ladder: due rows climb one rung at a time, never two rounds at once.
  let climbing: Promise<unknown> | undefined
  // Silences seen at the last tick: one that expired re-judges its Safe's held proposals.
  let silenced = new Set<string>()
  const expiredSilences = async () => {
    const now = new Set((await store.activeSilences(clock())).map((s) => s.target))
    const ended = [...silenced].filter((t) => !now.has(t))
    silenced = now
    const safes = config.safes.filter((s) => ended.includes(safeKey(s.chainId, s.address)))
    if (safes.length) await silenceChanged(ctx, safes)
  }
  const ladder = () => {
    if (climbing) return
    climbing = track(expiredSilences().then(() => climbLadders(ctx)))
      .catch((error) => logger.warn({ error: errorText(error) }, 'escalation ladder failed'))
      .finally(() => {
        climbing = undefined
      })
  }

  const stops: Array<() => void> = []
  let heartbeat = clock()
  const status = () => ({
    heartbeatAgeMs: clock() - heartbeat,
    ready: [...ready],
    expected: [
      ...(svc.enabled && targets.length ? safeChains.map((c) => `tx-service:${c}`) : []),
      ...(ev.enabled ? safeChains.map((c) => `chain-events:${c}`) : []),
      ...(config.sources.governance.enabled ? gov.chains.map((c) => `governance:${c}`) : []),
    ],
    sources: Object.fromEntries(health),
  })
  return {
    ctx,
    poller,
    async start() {
      logger.info(
        {
          safes: config.safes.length,
          chains: chains.map((c) => ({ chainId: c, rpc: (rpcUrls.get(c) ?? []).map(redactUrl) })),
        },
        'custos watching',
      )
      outbox.start()
      // Every Safe's last-poll series exists from the start (0: never polled), so a Safe that
      // never succeeds shows on a dashboard instead of being absent from it.
      for (const t of targets) metrics.lastPoll.set({ chain: String(t.chainId), safe: t.safe }, 0)
      if (svc.enabled && targets.length) poller.start()
      if (ev.enabled) {
        for (const chainId of safeChains) void scan(chainId)
        stops.push(schedule(cronFor(ev.intervalSeconds), () => safeChains.forEach((c) => void scan(c))))
      }
      if (config.sources.governance.enabled && gov.chains.length) {
        for (const chainId of gov.chains) void governance(chainId)
        stops.push(
          schedule(cronFor(config.sources.governance.intervalSeconds), () => {
            for (const c of gov.chains) void governance(c)
            void resimulate()
          }),
        )
      }
      if (config.sources.drift.enabled && config.safes.some((s) => s.expected)) {
        void drift()
        stops.push(schedule(cronFor(config.sources.drift.intervalSeconds), () => void drift()))
      }
      await deps.channels.start(createChatCommands(ctx, { status, wakeLadder: ladder }))
      stops.push(schedule('*/2 * * * * *', ladder))
      stops.push(
        schedule('*/5 * * * * *', () => {
          heartbeat = clock()
          metrics.heartbeat.set(Math.floor(heartbeat / 1000))
          void checkSilence(ctx, health, config.sources.silentAfterIntervals).catch((e) =>
            fault('silent-source check', e),
          )
          void store
            .outboxDepth()
            .then((n) => metrics.outboxDepth.set(n))
            .catch((e) => fault('outbox depth', e))
        }),
      )
    },
    /** Hint from a push notification: poll this Safe now (the hint itself is not trusted). */
    hint(chainId: number, safe: Address): boolean {
      const watched = ctx.safe(chainId, safe)
      if (!watched) return false
      // The configured (checksummed) address, so this poll and the scheduled ones never overlap.
      void poller.pollNow({ chainId, safe: watched.address as Address })
      return true
    },
    status,
    /** Stops polling, finishes the work in flight (and the alert being delivered), then closes forks. */
    async stop() {
      poller.stop()
      for (const s of stops) s()
      for (const u of unwatch) u()
      while (inFlight.size) await Promise.allSettled([...inFlight])
      // One last delivery round, bounded: what is left stays queued for the next start.
      await Promise.race([outbox.flush(), new Promise((r) => setTimeout(r, STOP_DELIVERY_MS))])
      await outbox.stop()
      await deps.channels.stop()
      await simulator.close()
    },
  }
}

export type Watcher = ReturnType<typeof createWatcher>
