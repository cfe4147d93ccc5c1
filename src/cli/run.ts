import { join } from 'node:path'
import type { Address } from 'viem'
import { ConfigError, resolveSecret } from '../config/load.js'
import { InputError } from '../model/errors.js'
import { errorText } from '../model/redact.js'
import { buildNotifiers, type Channels } from '../pipeline/notifiers.js'
import { monitorStore } from '../pipeline/store-health.js'
import { createWatcher } from '../pipeline/watch.js'
import { createRuntime, environmentIssues, type Runtime } from '../pipeline.js'
import { startHttpServer } from '../server/http.js'
import { createMetrics } from '../server/metrics.js'
import { lockDataDir } from '../store/lock.js'
import { openSqliteStore } from '../store/sqlite.js'
import type { Io } from './io.js'
import { createLogger } from './logger.js'

/**
 * `custos run`: the long-running guard. Resolves with 0 after SIGTERM/SIGINT (or `stop`) once
 * the work in flight is drained; what was not delivered stays in the outbox for the next start.
 */
export async function runCommand(opts: { config?: string }, io: Io, stop?: AbortSignal): Promise<number> {
  const rt = createRuntime(opts.config)
  const missing = environmentIssues(rt, io.env)
  if (missing.length) throw new ConfigError(opts.config ?? 'config', missing)
  const config = rt.config
  if (rt.targets.all.length === 0)
    throw new InputError(
      'nothing to watch: add Safes under `safes`, or `governors` / `timelocks` / `protocols`, in the config (see config/custos.example.yaml)',
    )
  // Before anything touches the data directory: a second instance stops here (exit 2).
  const lock = lockDataDir(config.dataDir)
  try {
    return await watch(rt, io, stop)
  } finally {
    lock.release()
  }
}

async function watch(rt: Runtime, io: Io, stop: AbortSignal | undefined): Promise<number> {
  const config = rt.config
  const logger = createLogger(config.logging.level)
  const storePath = config.store.path ?? join(config.dataDir, 'custos.db')
  const metrics = createMetrics()
  let channels: Channels | undefined
  // A damaged store stops the start (exit 2); one that fails later fails /healthz and is announced.
  const monitored = monitorStore(openSqliteStore(storePath), {
    path: storePath,
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
            body: { ready: waiting.length === 0, waitingFor: waiting, sources: s?.sources ?? {} },
          }
        },
        report: async (id) => (/^\d+$/.test(id) ? store.getReport(Number(id)) : store.latestReport(id)),
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
  })
  await watcher.start()
  if (server)
    logger.info({ url: server.url }, 'HTTP server listening (/healthz /readyz /metrics /reports/:id)')

  await new Promise<void>((resolve) => {
    const done = () => resolve()
    process.once('SIGTERM', done)
    process.once('SIGINT', done)
    stop?.addEventListener('abort', done, { once: true })
  })
  logger.info({}, 'stopping: draining work in flight')
  await watcher.stop()
  await server?.close()
  await store.close()
  process.off('warning', onWarning)
  for (const l of nodeWarnings) process.on('warning', l)
  logger.info({}, 'stopped')
  return 0
}
