// The watch loop end to end: from a transaction reaching the transaction service (emulator) to
// its stored report and its alert, with 1 and 200 watched Safes, by polling and by push; the
// service requests it makes; and the bot's memory and CPU while watching 1,000 Safes.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, getAddress, type Hex, parseEther } from 'viem'
import { stringify } from 'yaml'
import { type Lab, type LabAccount, startLab } from '../src/lab/index.js'
import { startTxServiceEmulator, type TxServiceEmulator } from '../src/lab/tx-service.js'
import { freePort } from '../src/simulate/anvil.js'
import { loadApiKit } from '../src/sources/tx-service.js'
import { createSafes } from './safes.js'
import { percentile, round } from './stats.js'

const RECIPIENT = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const root = join(import.meta.dirname, '../..')

export type LatencyRow = {
  safes: number
  mode: 'poll' | 'push'
  intervalSeconds: number
  n: number
  reportP50: number
  reportP95: number
  alertP50: number
  alertP95: number
  serviceRequestsPerSafePerPoll: number
}
export type ScaleRow = {
  safes: number
  intervalSeconds: number
  seconds: number
  rssMbP50: number
  rssMbMax: number
  heapUsedMbMax: number
  cpuPercent: number
  serviceRequestsPerSafePerMinute: number
  rpcRequestsPerSafePerMinute: number
}

type Bot = { child: ChildProcess; url: string; stop(): Promise<void> }

async function startBot(
  lab: Lab,
  service: TxServiceEmulator,
  safes: Address[],
  opts: { interval: number; webhookUrl: string; push: boolean; rpcUrl: string },
): Promise<Bot> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-bench-'))
  const port = await freePort()
  const config = {
    chains: { [String(lab.chainId)]: { rpc: [opts.rpcUrl], txService: service.url } },
    safes: safes.map((address, i) => ({ address, chainId: lab.chainId, name: `Safe ${i}` })),
    sources: {
      txService: { intervalSeconds: opts.interval },
      chainEvents: { intervalSeconds: 12 },
      webhook: { enabled: opts.push },
    },
    notify: {
      console: { enabled: false },
      webhooks: [{ name: 'bench', url: opts.webhookUrl, minLevel: 'info' }],
    },
    alerts: { minLevel: 'info' },
    outbox: { pollMs: 100 },
    server: { port },
    dataDir: dir,
    logging: { level: 'warn' },
  }
  const path = join(dir, 'custos.yaml')
  writeFileSync(path, stringify(config))
  const child = spawn('node', ['bin/custos.js', 'run', '--config', path], {
    cwd: root,
    env: { ...process.env, CUSTOS_WEBHOOK_TOKEN: 'bench' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  await until(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, 120_000)
  return {
    child,
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('bench: timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A webhook receiver that notes when each dedup key first arrives. */
async function receiver() {
  const { createServer } = await import('node:http')
  const arrived = new Map<string, number>()
  const server = createServer((req, res) => {
    const key = String(req.headers['idempotency-key'] ?? '')
    if (!arrived.has(key)) arrived.set(key, performance.now())
    req.resume()
    req.on('end', () => {
      res.writeHead(200)
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${address.port}/`,
    arrived,
    close: () => new Promise((r) => server.close(r)),
  }
}

/** A counting relay in front of the lab node, to measure the bot's RPC requests. */
async function rpcCounter(upstream: string) {
  const { startProxy } = await import('./proxy.js')
  return startProxy(upstream, 0)
}

export async function watchBench(): Promise<{ latency: LatencyRow[]; scale: ScaleRow[] }> {
  const samples = Number(process.env.BENCH_E2E_SAMPLES ?? 15)
  const scaleSeconds = Number(process.env.BENCH_SCALE_SECONDS ?? 300)
  const lab = await startLab()
  const service = await startTxServiceEmulator(lab.rpcUrl)
  const hook = await receiver()
  const rpc = await rpcCounter(lab.rpcUrl)
  const latency: LatencyRow[] = []
  const scale: ScaleRow[] = []
  try {
    const [, A, B, C] = lab.accounts as LabAccount[]
    const owners = [A, B, C].map((o) => o?.address as Address)
    const safes = await createSafes(lab, owners, 2, 1000)
    for (const s of safes.slice(0, 200)) await lab.test.setBalance({ address: s, value: parseEther('10') })
    const api = new (await loadApiKit())({ chainId: BigInt(lab.chainId), txServiceUrl: service.url })
    const nonces = new Map<Address, number>()
    const propose = async (safe: Address): Promise<Hex> => {
      const kit = await lab.kit(safe, A as LabAccount)
      const nonce = nonces.get(safe) ?? 0
      nonces.set(safe, nonce + 1)
      const tx = await kit.createTransaction({
        transactions: [{ to: RECIPIENT, value: '1', data: '0x' }],
        options: { nonce },
      })
      const hash = (await kit.getTransactionHash(tx)) as Hex
      const signed = await kit.signTransaction(tx)
      await api.proposeTransaction({
        safeAddress: safe,
        safeTransactionData: tx.data,
        safeTxHash: hash,
        senderAddress: A?.address as string,
        senderSignature: signed.getSignature(A?.address as string)?.data ?? '',
      })
      return hash
    }

    for (const [count, mode, interval] of [
      [1, 'poll', 2],
      [200, 'poll', 2],
      [200, 'push', 60],
    ] as const) {
      const watched = safes.slice(0, count)
      const bot = await startBot(lab, service, watched, {
        interval,
        webhookUrl: hook.url,
        push: mode === 'push',
        rpcUrl: rpc.url,
      })
      const report: number[] = []
      const alert: number[] = []
      for (let i = 0; i <= samples; i++) {
        const safe = watched[i % watched.length] as Address
        // Arrive at a random moment of the poll interval, as a real proposal does.
        if (mode === 'poll') await new Promise((r) => setTimeout(r, Math.random() * interval * 1000))
        const hash = await propose(safe)
        const t0 = performance.now()
        if (mode === 'push') {
          await fetch(`${bot.url}/hooks/safe`, {
            method: 'POST',
            headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
            body: JSON.stringify({
              chainId: lab.chainId,
              address: safe,
              type: 'PENDING_MULTISIG_TRANSACTION',
              safeTxHash: hash,
            }),
          })
        }
        const id = `${lab.chainId}:safe:${hash}`
        await until(
          async () => (await fetch(`${bot.url}/reports/${encodeURIComponent(id)}.json`)).status === 200,
          60_000,
        )
        const t1 = performance.now()
        await until(() => [...hook.arrived.keys()].some((k) => k.startsWith(id)), 30_000)
        const t2 = [...hook.arrived.entries()].find(([k]) => k.startsWith(id))?.[1] ?? t1
        if (i > 0) {
          // the first one warms the fork and is not counted
          report.push(t1 - t0)
          alert.push(t2 - t0)
        }
      }
      // Service requests per Safe per poll, over a quiet window of whole intervals.
      const windowSeconds = mode === 'push' ? 0 : interval * 5
      const before = service.requests.byRoute.get('GET multisig-transactions') ?? 0
      if (windowSeconds) await new Promise((r) => setTimeout(r, windowSeconds * 1000))
      const served = (service.requests.byRoute.get('GET multisig-transactions') ?? 0) - before
      await bot.stop()
      latency.push({
        safes: count,
        mode,
        intervalSeconds: interval,
        n: report.length,
        reportP50: round(percentile(report, 50)),
        reportP95: round(percentile(report, 95)),
        alertP50: round(percentile(alert, 50)),
        alertP95: round(percentile(alert, 95)),
        serviceRequestsPerSafePerPoll: windowSeconds
          ? round(served / (count * (windowSeconds / interval)), 2)
          : 0,
      })
    }

    // Scale: 1,000 Safes for a while; the bot's own memory and CPU (its anvil forks not counted).
    const interval = 15
    const bot = await startBot(lab, service, safes, {
      interval,
      webhookUrl: hook.url,
      push: false,
      rpcUrl: rpc.url,
    })
    const pid = bot.child.pid as number
    // Let the first rounds (which read each Safe's full state once) pass before measuring.
    await new Promise((r) => setTimeout(r, 2 * interval * 1000))
    const rss: number[] = []
    const heap: number[] = []
    const ticks = () => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      return Number(f[11]) + Number(f[12])
    }
    const svcBefore = service.requests.byRoute.get('GET multisig-transactions') ?? 0
    const rpcBefore = rpc.count
    const cpuBefore = ticks()
    const started = performance.now()
    for (let s = 0; s < scaleSeconds; s++) {
      await new Promise((r) => setTimeout(r, 1000))
      rss.push(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024)
      if (s % 10 === 0) {
        const metrics = await (await fetch(`${bot.url}/metrics`)).text()
        heap.push(
          Number(/custos_process_nodejs_heap_size_used_bytes (\d+)/.exec(metrics)?.[1] ?? 0) / 2 ** 20,
        )
      }
    }
    const wall = (performance.now() - started) / 1000
    const cpu = ((ticks() - cpuBefore) / 100 / wall) * 100
    const minutes = wall / 60
    scale.push({
      safes: safes.length,
      intervalSeconds: interval,
      seconds: Math.round(wall),
      rssMbP50: round(percentile(rss, 50)),
      rssMbMax: round(Math.max(...rss)),
      heapUsedMbMax: round(Math.max(...heap)),
      cpuPercent: round(cpu),
      serviceRequestsPerSafePerMinute: round(
        ((service.requests.byRoute.get('GET multisig-transactions') ?? 0) - svcBefore) /
          safes.length /
          minutes,
        2,
      ),
      rpcRequestsPerSafePerMinute: round((rpc.count - rpcBefore) / safes.length / minutes, 2),
    })
    await bot.stop()
  } finally {
    await hook.close()
    await rpc.close()
    await service.close()
    await lab.stop()
  }
  return { latency, scale }
}
