import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, type Hex, parseEther } from 'viem'
import { configSchema } from '../../src/config/schema.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { startTxServiceEmulator, type TxServiceEmulator } from '../../src/lab/tx-service.js'
import { runtimeFrom } from '../../src/pipeline.js'
import { loadApiKit } from '../../src/sources/tx-service.js'
import { startWebhookReceiver } from '../fakes/webhook-receiver.js'

export type World = Awaited<ReturnType<typeof startWorld>>

/** A lab chain with a funded Safe (owners A, B, C; threshold 2), the service emulator and a webhook receiver. */
export async function startWorld() {
  const lab: Lab = await startLab()
  const [, A, B, C] = lab.accounts as [LabAccount, LabAccount, LabAccount, LabAccount]
  const safe = await lab.createSafe({
    owners: [A.address, B.address, C.address],
    threshold: 2,
    fund: parseEther('10'),
  })
  const service: TxServiceEmulator = await startTxServiceEmulator(lab.rpcUrl)
  const receiver = await startWebhookReceiver()
  const api = new (await loadApiKit())({ chainId: BigInt(lab.chainId), txServiceUrl: service.url })
  const dataDir = mkdtempSync(join(tmpdir(), 'custos-watch-'))

  /** The YAML-shaped config a user would write for this world. */
  const rawConfig = (extra: Record<string, unknown> = {}) => ({
    chains: { [String(lab.chainId)]: { rpc: [lab.rpcUrl], txService: service.url } },
    safes: [{ address: safe, chainId: lab.chainId, name: 'Treasury' }],
    sources: { txService: { intervalSeconds: 1 }, chainEvents: { intervalSeconds: 1, reorgWindow: 4 } },
    notify: { console: { enabled: false }, webhooks: [{ name: 'ops', url: receiver.url, minLevel: 'info' }] },
    outbox: { baseDelayMs: 50, maxDelayMs: 500, pollMs: 50 },
    server: { port: 0 },
    dataDir,
    logging: { level: 'silent' },
    ...extra,
  })
  const runtime = (extra: Record<string, unknown> = {}) =>
    runtimeFrom({ config: configSchema.parse(rawConfig(extra)), abis: [] })

  /** Proposes a transaction to the emulator as `by`, signed, as a wallet would. */
  async function propose(
    by: LabAccount,
    tx: { to: Address; value?: bigint; data?: Hex; operation?: 0 | 1; nonce?: number },
  ) {
    const kit = await lab.kit(safe, by)
    const created = await kit.createTransaction({
      transactions: [
        {
          to: tx.to,
          value: (tx.value ?? 0n).toString(),
          data: tx.data ?? '0x',
          operation: tx.operation ?? 0,
        },
      ],
      ...(tx.nonce !== undefined ? { options: { nonce: tx.nonce } } : {}),
    })
    const safeTxHash = (await kit.getTransactionHash(created)) as Hex
    const signature = await kit.signHash(safeTxHash)
    await api.proposeTransaction({
      safeAddress: safe,
      safeTransactionData: created.data,
      safeTxHash,
      senderAddress: by.address,
      senderSignature: signature.data,
    })
    return { safeTxHash, created }
  }

  async function confirm(by: LabAccount, safeTxHash: Hex) {
    const kit = await lab.kit(safe, by)
    await api.confirmTransaction(safeTxHash, (await kit.signHash(safeTxHash)).data)
  }

  return {
    lab,
    safe,
    owners: { A, B, C },
    service,
    receiver,
    api,
    dataDir,
    rawConfig,
    runtime,
    propose,
    confirm,
    async stop() {
      await receiver.close()
      await service.close()
      await lab.stop()
    },
  }
}

/** A logger that keeps every line, for tests that check what custos said. */
export function recordingLogger() {
  const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = []
  const at =
    (level: string) =>
    (obj: object, msg = '') =>
      void lines.push({ level, msg, obj: obj as Record<string, unknown> })
  const logger = {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    child: () => logger,
  }
  return { logger, lines }
}

/** Polls `check` until it returns a value (or throws after `ms`). */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A schedule for tests: every job runs every 250 ms, whatever its cron expression. */
export const fastSchedule = (_expression: string, fn: () => void) => {
  const t = setInterval(fn, 250)
  return () => clearInterval(t)
}

/** The watch loop in this process, with its store, metrics and HTTP server. */
export async function startBot(
  world: World,
  extra: Record<string, unknown> = {},
  schedule = fastSchedule,
  env: NodeJS.ProcessEnv = {},
  logger?: import('../../src/model/logger.js').Logger,
  /** Another store than the SQLite file in the data directory (a replica's PostgreSQL one). */
  given?: import('../../src/model/store.js').Store,
) {
  const { silentLogger } = await import('../../src/model/logger.js')
  const log = logger ?? silentLogger
  const { buildNotifiers } = await import('../../src/pipeline/notifiers.js')
  const { createWatcher } = await import('../../src/pipeline/watch.js')
  const { startHttpServer } = await import('../../src/server/http.js')
  const { createMetrics } = await import('../../src/server/metrics.js')
  const { openSqliteStore } = await import('../../src/store/sqlite.js')
  const rt = world.runtime(extra)
  const store = given ?? openSqliteStore(rt.config.store.path ?? join(rt.config.dataDir, 'custos.db'))
  const metrics = createMetrics()
  let watcher: ReturnType<typeof createWatcher> | undefined
  const token = 'test-token'
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    metrics,
    health: () => ({ ok: true, body: {} }),
    ready: () => ({ ok: true, body: watcher?.status() ?? {} }),
    report: async (id) => (/^\d+$/.test(id) ? store.getReport(Number(id)) : store.latestReport(id)),
    hook: {
      token,
      handle: (b) =>
        watcher?.hint(Number((b as { chainId: unknown }).chainId), (b as { address: Address }).address) ??
        false,
    },
  })
  watcher = createWatcher({
    rt,
    env,
    logger: log,
    store,
    metrics,
    channels: await buildNotifiers(rt.config, env, process.stdout, { store, logger: log }),
    publicUrl: server.url,
    schedule,
  })
  await watcher.start()
  return {
    watcher,
    store,
    metrics,
    server,
    token,
    async stop() {
      await watcher?.stop()
      await server.close()
      await store.close()
    },
  }
}
