import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { configSchema } from '../config/schema.js'
import { attackerExecutes, attackerSchedules, enableDemoGuard } from '../lab/demo-guard.js'
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
    // custos's guardian key: its own account, not an owner's. The owners' first transaction turns
    // the custos Guard on, with that key as its guardian.
    const guardian = lab.accounts[8]
    if (!a || !b || !c || !guardian) throw new Error('lab accounts missing')
    const guard = await enableDemoGuard(lab, world.safe, [a, b], guardian.address)
    // Blocks past the set-up: custos re-reads the reorg window (12 blocks by default) behind
    // where it starts, and the owners' own set-up, done before custos watches, is not news.
    await lab.test.mine({ blocks: 13 })
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
            expected: { owners: [a, b, c].map((o) => o?.address), threshold: 2, guard },
            guard: {},
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
        // custos is the guard's guardian: it approves what it judges benign once signed, and
        // cancels on the guard what it judges critical once anyone schedules it.
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
      env: { ...io.env, CUSTOS_DEMO_VETO_KEY: guardian.privateKey },
      logger,
      store,
      metrics,
      channels: await buildNotifiers(rt.config, io.env, io.stdout, { store, logger }),
      publicUrl: server.url,
    })
    cleanups.unshift(
      async () => void (await watcher.stop()),
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
        `custos is watching Safe ${world.safe} (owners ${[a, b, c].map((o) => o?.address).join(', ')}, threshold 2), which runs the custos Guard at ${guard} (delay 1 h) with custos as guardian; reports at ${server.url}/reports/…`,
      ),
    )
    if (discord) say(style.dim(`alerts go to Discord channel ${discord.settings.channelId}`))
    say(style.dim(`ready in ${Math.round(performance.now() - t0)} ms\n`))

    const api = new (await loadApiKit())({ chainId: BigInt(lab.chainId), txServiceUrl: service.url })
    const kit = await lab.kit(world.safe, a)
    const kitB = await lab.kit(world.safe, b)
    const base = await kit.getNonce()
    const steps = demoSteps(lab, world)
    const ids: string[] = []
    const auditOf = (id: string, action: (a: string) => boolean) =>
      waitFor(
        async () => (await store.auditLog(200)).find((e) => e.subject === id && action(e.action)),
        30_000,
      )
    const said = (e: { action: string; details?: unknown }) =>
      (e.details as { message?: string }).message ?? e.action
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
        options: { nonce: base + step.nonce },
      })
      const safeTxHash = (await kit.getTransactionHash(tx)) as Hex
      // Signed as a wallet signs (EIP-712), then proposed to the service with that signature.
      const signed = await kit.signTransaction(tx)
      const senderSignature = signed.getSignature(a.address)?.data ?? ''
      // Owner B signs too: on the service for the routine payment; outside it, for the attacker.
      const both = step.guard ? await kitB.signTransaction(signed) : signed
      // The lie is in place before the proposal, so custos never reads an honest first version.
      if (step.lie) service.tamper(safeTxHash, { dataDecoded: step.lie })
      await api.proposeTransaction({
        safeAddress: world.safe,
        safeTransactionData: tx.data,
        safeTxHash,
        senderAddress: a.address,
        senderSignature,
      })
      if (step.guard === 'approve')
        await api.confirmTransaction(safeTxHash, both.getSignature(b.address)?.data ?? '')
      const id = `${lab.chainId}:safe:${safeTxHash}`
      ids.push(id)
      const started = performance.now()
      const report = await waitFor(() => store.latestReport(id), 30_000)
      await waitFor(async () => ((await store.outboxDepth()) === 0 ? true : undefined), 10_000)
      say(
        style.dim(
          `   proposed ${safeTxHash}; custos reported ${report.level.toUpperCase()} in ${Math.round(performance.now() - started)} ms`,
        ),
      )
      const veto = report.level === 'critical' ? await auditOf(id, (x) => x.startsWith('veto-')) : undefined
      // custos's own action, named for what it is: holding a transaction is not yet cancelling it.
      if (veto) say(style.bold(`   custos${veto.action === 'veto-sent' ? ' ' : ': '}${said(veto)}`))
      if (step.guard === 'approve') {
        const approved = await auditOf(id, (x) => x.startsWith('guard-approve-'))
        say(
          style.bold(
            `   custos ${approved.action === 'guard-approve-sent' ? said(approved) : `${approved.action}: ${said(approved)}`}`,
          ),
        )
        const ran = await attackerExecutes(lab, a.address, world.safe, both)
        say(
          style.bold(
            ran.ok
              ? `   owner A executed it at once (${ran.hash})`
              : `   owner A's execution failed: ${ran.reason}`,
          ),
        )
      }
      if (step.guard === 'attack') {
        const now = await attackerExecutes(lab, world.attacker, world.safe, both)
        say(
          `   the attacker, holding owners A and B's signatures, executes it at once: ${now.ok ? `it ran (${now.hash})` : `reverted (${now.reason})`}`,
        )
        const scheduled = await attackerSchedules(lab, world.attacker, guard, world.safe, both)
        say(
          `   the attacker schedules it on the guard to wait out the delay: ${scheduled.ok ? `scheduled (${scheduled.hash})` : `reverted (${scheduled.reason})`}`,
        )
        const cancel = await auditOf(id, (x) => x === 'veto-sent' || x === 'veto-failed')
        say(style.bold(`   custos ${said(cancel)}`))
        const again = await attackerExecutes(lab, world.attacker, world.safe, both)
        if (!again.ok)
          say(
            style.bold(
              `   stopped on-chain: executing it now reverts (${again.reason}), and so will it after the delay`,
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
      for (const [i, o] of [a, b, c].entries()) say(`  owner ${'ABC'[i]} ${o?.address} key ${o?.privateKey}`)
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
