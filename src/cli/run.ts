import { getHeapStatistics } from 'node:v8'
import type { Address } from 'viem'
import { runIssues } from '../config/check.js'
import { ConfigError, resolveSecret } from '../config/load.js'
import { InputError } from '../model/errors.js'
import { errorText } from '../model/redact.js'
import { stopAll } from '../model/stop-all.js'
import { buildNotifiers, type Channels } from '../pipeline/notifiers.js'
import { monitorStore } from '../pipeline/store-health.js'
import { createWatcher } from '../pipeline/watch.js'
import { createRuntime, type Runtime } from '../pipeline.js'
import { startHttpServer } from '../server/http.js'
import { createMetrics } from '../server/metrics.js'
import { lockDataDir } from '../store/lock.js'
import { openStore, storeLabel } from '../store/open.js'
import type { Io } from './io.js'
import { createLogger } from './logger.js'
import { packageVersion } from './version.js'

/**
 * `custos run`: the long-running guard. Resolves with 0 after SIGTERM/SIGINT (or `stop`) once
 * the work in flight is drained; what was not delivered stays in the outbox for the next start.
 */
export async function runCommand(opts: { config?: string }, io: Io, stop?: AbortSignal): Promise<number> {
  // Listened for from the first moment (bin/custos.js listens while the modules load and passes
  // `stop`; a SIGTERM while starting stops cleanly once started) to the last (a second SIGTERM, as a service manager may send to the whole process group while
  // custos forwards its own, must not kill it in the middle of draining).
  let done = () => {}
  const stopping = new Promise<void>((resolve) => {
    done = () => resolve()
  })
  process.on('SIGTERM', done)
  process.on('SIGINT', done)
  if (stop?.aborted) done()
  else stop?.addEventListener('abort', done, { once: true })
  try {
    return await start(opts, io, stopping)
  } finally {
    process.off('SIGTERM', done)
    process.off('SIGINT', done)
  }
}

async function start(opts: { config?: string }, io: Io, stopping: Promise<void>): Promise<number> {
  const rt = createRuntime(opts.config)
  // The same checks as `config check`, the data directory's included: a configuration or
  // environment problem is one line naming the setting, never an "internal error" later.
  const issues = runIssues(rt.config, io.env)
  if (issues.length) throw new ConfigError(opts.config ?? 'config', issues)
  const config = rt.config
  if (rt.targets.all.length === 0)
    throw new InputError(
      'nothing to watch: add Safes under `safes`, or `governors` / `timelocks` / `protocols`, in the config (see config/custos.example.yaml)',
    )
  // Before anything touches the data directory: a second instance stops here (exit 2).
  const lock = lockDataDir(config.dataDir)
  try {
    return await watch(rt, io, stopping)
  } finally {
    lock.release()
  }
}

async function watch(rt: Runtime, io: Io, stopping: Promise<void>): Promise<number> {
  const config = rt.config
  const logger = createLogger(config.logging.level)
  // bin/custos.js caps the heap unless NODE_OPTIONS does: say which limit this process has.
  logger.info({ heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20) }, 'heap limit')
  const metrics = createMetrics()
  let channels: Channels | undefined
  // A damaged store stops the start (exit 2); one that fails later fails /healthz and is announced.
  const opened = await openStore(config, io.env, (e) =>
    logger.warn({ error: errorText(e) }, 'a database connection failed; the next query reconnects'),
  )
  const monitored = monitorStore(opened, {
    path: storeLabel(config),
    metrics,
    logger,
    notifiers: () => channels?.notifiers ?? [],
  })
  const store = monitored.store
  channels = await buildNotifiers(config, io.env, io.stdout, { store, logger })
  // Node's own warnings (a deprecation, a listener leak) are log lines too: stderr stays JSON.
  const nodeWarnings = process.listeners('warning')
  const onWarning = (w: Error) => logger.warn({ warning: w.name }, w.message)
  process.removeAllListeners('warning').on('warning', onWarning)

  let watcher: ReturnType<typeof createWatcher> | undefined
  const hookToken = config.sources.webhook.enabled
    ? resolveSecret({ env: config.sources.webhook.tokenEnv }, io.env, 'sources.webhook.tokenEnv')
    : undefined
  const server = config.server.enabled
    ? await startHttpServer({
        host: config.server.host,
        port: config.server.port,
        metrics,
        health: () => {
          const age = watcher?.status().heartbeatAgeMs ?? 0
          const s = monitored.status()
          const status = !s.ok ? 'store failing' : age >= 60_000 ? 'stalled' : 'ok'
          return { ok: status === 'ok', body: { status, heartbeatAgeMs: age, store: s } }
        },
        ready: () => {
          const s = watcher?.status()
          const waiting = (s?.expected ?? []).filter((x) => !s?.ready.includes(x))
          return {
            ok: s !== undefined && waiting.length === 0,
            body: {
              ready: waiting.length === 0,
              waitingFor: waiting,
              sources: s?.sources ?? {},
              replica: s?.replica,
              leads: s?.leads ?? [],
            },
          }
        },
        report: async (id) => (/^\d+$/.test(id) ? store.getReport(Number(id)) : store.latestReport(id)),
        targetName: (chainId, address) => rt.targets.get(chainId, address)?.name,
        onError: (error) => {
          metrics.httpErrors.inc()
          logger.error({ error: errorText(error) }, 'HTTP request failed')
        },
        ...(hookToken
          ? {
              hook: {
                token: hookToken,
                handle: (body) => {
                  const b = (body ?? {}) as { chainId?: unknown; address?: unknown }
                  const chainId = Number(b.chainId)
                  return (
                    typeof b.address === 'string' &&
                    Number.isSafeInteger(chainId) &&
                    (watcher?.hint(chainId, b.address as Address) ?? false)
                  )
                },
              },
            }
          : {}),
      })
    : undefined
  const publicUrl = config.server.publicUrl ?? server?.url ?? 'http://127.0.0.1'
  watcher = createWatcher({
    rt,
    env: io.env,
    logger,
    store,
    metrics,
    channels,
    publicUrl: publicUrl.replace(/\/$/, ''),
    version: packageVersion(),
  })
  await watcher.start()
  if (server)
    logger.info({ url: server.url }, 'HTTP server listening (/healthz /readyz /metrics /reports/:id)')

  await stopping
  logger.info({}, 'stopping: draining work in flight')
  const failed = [
    ...(await watcher.stop()),
    ...(await stopAll(logger, [
      ['HTTP server', () => server?.close()],
      ['store', () => store.close()],
    ])),
  ]
  process.off('warning', onWarning)
  for (const l of nodeWarnings) process.on('warning', l)
  if (failed.length) {
    // Stopped all the same (no fork left running); exit 1 says the stop was not clean.
    logger.error({ failed }, 'stopped, but not cleanly')
    return 1
  }
  logger.info({}, 'stopped')
  return 0
}
