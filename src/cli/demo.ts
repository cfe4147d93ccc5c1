import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { configSchema } from '../config/schema.js'
import { startLab } from '../lab/index.js'
import { buildWorld, demoSteps } from '../lab/scenario.js'
import { startTxServiceEmulator } from '../lab/tx-service.js'
import { buildNotifiers } from '../pipeline/notifiers.js'
import { createWatcher } from '../pipeline/watch.js'
import { runtimeFrom } from '../pipeline.js'
import { startHttpServer } from '../server/http.js'
import { createMetrics } from '../server/metrics.js'
import { loadApiKit } from '../sources/tx-service.js'
import { lockDataDir } from '../store/lock.js'
import { openSqliteStore } from '../store/sqlite.js'
import type { Io } from './io.js'
import { createLogger } from './logger.js'
import { createStyle } from './style.js'

/**
 * `custos demo` (what `npm start` runs): the lab chain with a Safe, the transaction service
 * emulator, and the watch loop pointed at them; then owners propose four transactions through
 * the service, as a wallet would, and custos reports each on the console with a report page.
 */
export async function demoCommand(opts: { keep?: boolean }, io: Io, stop?: AbortSignal): Promise<number> {
  const style = createStyle(Boolean(io.stdout.isTTY) && !io.env.NO_COLOR)
  const say = (s: string) => io.stdout.write(`${s}\n`)
  const t0 = performance.now()
  const lab = await startLab()
  const service = await startTxServiceEmulator(lab.rpcUrl)
  const dataDir = mkdtempSync(join(tmpdir(), 'custos-demo-'))
  // Its own fresh directory, locked all the same: whatever runs a watch loop holds its data directory.
  const lock = lockDataDir(dataDir)
  const cleanups: Array<() => Promise<void> | void> = [
    () => lab.stop(),
    () => service.close(),
    () => lock.release(),
    () => rmSync(dataDir, { recursive: true, force: true }),
  ]
  try {
    const world = await buildWorld(lab)
    const [a, b, c] = world.owners
    const discord = demoDiscord(
      io.env,
      [a, b, c].map((o) => o?.address as string),
    )
    const rt = runtimeFrom({
      config: configSchema.parse({
        chains: { [String(lab.chainId)]: { rpc: [lab.rpcUrl], txService: service.url } },
        safes: [
          {
            address: world.safe,
            chainId: lab.chainId,
            name: 'Demo Treasury',
            expected: { owners: [a, b, c].map((o) => o?.address), threshold: 2 },
          },
        ],
        addressBook: [{ address: world.payroll, name: 'Payroll' }],
        tokens: [{ address: lab.token, symbol: 'TT', decimals: 18 }],
        sources: { txService: { intervalSeconds: 1 }, chainEvents: { intervalSeconds: 2 } },
        // To Discord when its settings are in the environment, to the console otherwise.
        notify: discord
          ? { console: { enabled: false }, discord: discord.settings }
          : { console: { enabled: true, minLevel: 'info' } },
        signers: discord?.signers ?? [],
        // custos's guardian key is owner C's: a critical proposal is answered with a rejection at
        // its nonce, signed by the guardian and proposed for the other owners to co-sign.
        policy: { vetoAt: 'critical' },
        veto: { enabled: true, dryRun: false, keyEnv: 'CUSTOS_DEMO_VETO_KEY', maxPerTargetPerHour: 5 },
        alerts: { minLevel: 'info' },
        server: { port: 0 },
        dataDir,
        logging: { level: 'warn' },
      }),
      abis: [],
    })
    const store = openSqliteStore(join(dataDir, 'custos.db'))
    const metrics = createMetrics()
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      health: () => ({ ok: true, body: { status: 'ok' } }),
      ready: () => ({ ok: true, body: { ready: true } }),
      report: async (id) => (/^\d+$/.test(id) ? store.getReport(Number(id)) : store.latestReport(id)),
    })
    const logger = createLogger('warn')
    const watcher = createWatcher({
      rt,
      env: { ...io.env, CUSTOS_DEMO_VETO_KEY: c?.privateKey },
      logger,
      store,
      metrics,
      channels: await buildNotifiers(rt.config, io.env, io.stdout, { store, logger }),
      publicUrl: server.url,
    })
    cleanups.unshift(
      () => watcher.stop(),
      () => server.close(),
      () => store.close(),
    )
    await watcher.start()
    say(
      style.dim(
        `lab: anvil on ${lab.rpcUrl} (chain ${lab.chainId}) with Safe 1.4.1; transaction service emulator on ${service.url}`,
      ),
    )
    say(
      style.dim(
        `custos is watching Safe ${world.safe} (owners ${[a, b, c].map((o) => o?.address).join(', ')}, threshold 2); reports at ${server.url}/reports/…`,
      ),
    )
    if (discord) say(style.dim(`alerts go to Discord channel ${discord.settings.channelId}`))
    say(style.dim(`ready in ${Math.round(performance.now() - t0)} ms\n`))

    const api = new (await loadApiKit())({ chainId: BigInt(lab.chainId), txServiceUrl: service.url })
    const kit = await lab.kit(world.safe, a as NonNullable<typeof a>)
    const steps = demoSteps(lab, world)
    const ids: string[] = []
    for (const [i, step] of steps.entries()) {
      say(style.bold(`━━ ${i + 1}/${steps.length}  ${step.title}`))
      say(style.dim(`   expected: ${step.expect}`))
      const tx = await kit.createTransaction({
        transactions: [
          {
            to: step.tx.to,
            value: step.tx.value.toString(),
            data: step.tx.data,
            operation: step.tx.operation,
          },
        ],
        options: { nonce: i },
      })
      const safeTxHash = (await kit.getTransactionHash(tx)) as Hex
      // Signed as a wallet signs (EIP-712), then proposed to the service with that signature.
      const signed = await kit.signTransaction(tx)
      const senderSignature = signed.getSignature(a?.address as string)?.data ?? ''
      // The lie is in place before the proposal, so custos never reads an honest first version.
      if (step.lie) service.tamper(safeTxHash, { dataDecoded: step.lie })
      await api.proposeTransaction({
        safeAddress: world.safe,
        safeTransactionData: tx.data,
        safeTxHash,
        senderAddress: a?.address as string,
        senderSignature,
      })
      const id = `${lab.chainId}:safe:${safeTxHash}`
      ids.push(id)
      const started = performance.now()
      const report = await waitFor(() => store.latestReport(id), 30_000)
      await waitFor(async () => ((await store.outboxDepth()) === 0 ? true : undefined), 10_000)
      const veto =
        report.level === 'critical'
          ? await waitFor(
              async () =>
                (await store.auditLog(200)).find((a) => a.subject === id && a.action.startsWith('veto-')),
              30_000,
            )
          : undefined
      say(
        style.dim(
          `   proposed ${safeTxHash}; custos reported ${report.level.toUpperCase()} in ${Math.round(performance.now() - started)} ms`,
        ),
      )
      // custos's own action, named for what it is: a proposed rejection is not yet a veto.
      if (veto) {
        const message = (veto.details as { message?: string }).message ?? veto.action
        say(
          style.bold(
            `   custos ${veto.action === 'veto-sent' || veto.action === 'veto-proposed' ? message : `${veto.action}: ${message}`}`,
          ),
        )
      }
      say('')
    }
    if (opts.keep) {
      // Served until Ctrl-C: the links work.
      say(style.bold('Reports'))
      for (const id of ids) {
        const r = await store.latestReport(id)
        say(`  ${(r?.level ?? '?').toUpperCase().padEnd(9)} ${server.url}/reports/${encodeURIComponent(id)}`)
      }
      say(style.bold('\n--keep: the lab, the emulator and custos keep running (stop with Ctrl-C).'))
      say('For custos init and your own custos run, in another terminal:')
      say(`  export CUSTOS_LAB_RPC=${lab.rpcUrl}`)
      say(`  export CUSTOS_LAB_TX_SERVICE=${service.url}`)
      say(`  export CUSTOS_LAB_SAFE=${world.safe}`)
      say(
        `To propose more transactions, do what a wallet does: sign the safeTxHash with an owner's key and post it to the emulator (api-kit's proposeTransaction with txServiceUrl ${service.url}, chain ${lab.chainId}); custos judges it within a second. The owners (threshold 2) use anvil's well-known development keys, never to be used on a real chain:`,
      )
      for (const [i, o] of [a, b, c].entries())
        say(
          `  owner ${'ABC'[i]} ${o?.address} key ${o?.privateKey}${i === 2 ? " (also custos's guardian key in this demo)" : ''}`,
        )
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve())
        process.once('SIGTERM', () => resolve())
        stop?.addEventListener('abort', () => resolve(), { once: true })
      })
    } else {
      // The report pages are served only while the demo runs: say so instead of printing dead links.
      say(style.bold('Reports'))
      for (const id of ids) {
        const r = await store.latestReport(id)
        say(`  ${(r?.level ?? '?').toUpperCase().padEnd(9)} ${id}`)
      }
      say(
        style.dim(
          '\nThe report pages linked above are served only while the demo runs: run `npm start -- --keep` (custos demo --keep) to open them, and to try custos init on the lab.',
        ),
      )
    }
    say(style.dim(`\ndemo finished in ${Math.round(performance.now() - t0)} ms; the lab is stopped.`))
    return 0
  } finally {
    for (const c of cleanups) await c()
  }
}

async function waitFor<T>(check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('the demo timed out waiting for custos')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Discord settings for the demo from the environment: DISCORD_TOKEN and DISCORD_CHANNEL_ID
 * (both needed), DISCORD_GUILD_ID (commands appear at once in that guild), DISCORD_SIGNER_IDS
 * (comma-separated user ids, given the demo Safe's owners in order, so their presses count) and
 * DISCORD_API_URL (a REST base other than Discord's, e.g. a proxy).
 */
export function demoDiscord(env: NodeJS.ProcessEnv, owners: string[]) {
  if (!env.DISCORD_TOKEN || !env.DISCORD_CHANNEL_ID) return undefined
  const ids = (env.DISCORD_SIGNER_IDS ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
  return {
    settings: {
      tokenEnv: 'DISCORD_TOKEN',
      channelId: env.DISCORD_CHANNEL_ID,
      minLevel: 'info',
      ...(env.DISCORD_GUILD_ID ? { guildId: env.DISCORD_GUILD_ID } : {}),
      ...(env.DISCORD_API_URL ? { apiUrl: env.DISCORD_API_URL } : {}),
    },
    signers: ids.slice(0, owners.length).map((discord, i) => ({
      name: `owner ${String.fromCharCode(65 + i)}`,
      address: owners[i],
      discord,
    })),
  }
}
