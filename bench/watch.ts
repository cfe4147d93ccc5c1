// The watch loop end to end: from a transaction reaching the transaction service (emulator) to
// its stored report and its alert, with 1 and 200 watched Safes, by polling and by push; the
// service requests it makes; and the bot's memory and CPU while watching 1,000 Safes.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  parseAbi,
  parseEther,
  parseEventLogs,
} from 'viem'
import { stringify } from 'yaml'
import { deployGovernance, type GovernanceStack, governorAbi } from '../src/lab/governance/index.js'
import { type Lab, type LabAccount, startLab } from '../src/lab/index.js'
import { startTxServiceEmulator, type TxServiceEmulator } from '../src/lab/tx-service.js'
import { freePort } from '../src/simulate/anvil.js'
import { loadApiKit } from '../src/sources/tx-service.js'
import { deployGovernors } from './governors.js'
import { createSafes } from './safes.js'
import { descendants, isCustos, percentile, procPrivateMb, procRssMb, procTicks, round } from './stats.js'

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
  governors: number
  intervalSeconds: number
  governanceIntervalSeconds: number
  /** NODE_OPTIONS given to the bot, if any. */
  nodeOptions: string
  seconds: number
  rssMbP50: number
  rssMbMax: number
  /** Node processes custos ran as: 2 when bin/custos.js started itself again with the heap caps. */
  processes?: number
  /** The most memory the launching process held alone (MB), included in the RSS figures. */
  launcherMbMax?: number
  heapUsedMbMax: number
  heapTotalMbMax: number
  cpuPercent: number
  serviceRequestsPerSafePerMinute: number
  rpcRequestsPerSafePerMinute: number
  rpcRequestsPerMinute: number
}

export type Bot = { child: ChildProcess; url: string; stop(): Promise<void> }

export type GovernanceRow = {
  /** What the bot watches: one governor, or one Safe polled at the same interval (the yardstick). */
  watched: 'governor' | 'Safe'
  /** Which custos: `this build`, or the one BENCH_BEFORE points at. */
  build: string
  intervalSeconds: number
  n: number
  alertP50: number
  alertP95: number
  alertMax: number
}

export async function startBot(
  lab: Lab,
  service: TxServiceEmulator,
  safes: Address[],
  opts: {
    interval: number
    webhookUrl: string
    push: boolean
    rpcUrl: string
    governors?: Address[]
    governanceInterval?: number
    nodeOptions?: string
    /** The checkout whose custos runs (built); this one by default. */
    root?: string
    /** The transaction service's URL, when not the emulator's own (a relay in front of it). */
    serviceUrl?: string
    /** `store` settings (PostgreSQL replicas); SQLite in the data directory by default. */
    store?: Record<string, unknown>
    /** More environment for the bot (DATABASE_URL). */
    env?: NodeJS.ProcessEnv
  },
): Promise<Bot> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-bench-'))
  const port = await freePort()
  const config = {
    chains: { [String(lab.chainId)]: { rpc: [opts.rpcUrl], txService: opts.serviceUrl ?? service.url } },
    safes: safes.map((address, i) => ({ address, chainId: lab.chainId, name: `Safe ${i}` })),
    governors: (opts.governors ?? []).map((address, i) => ({
      address,
      chainId: lab.chainId,
      name: `DAO ${i}`,
    })),
    sources: {
      txService: { intervalSeconds: opts.interval },
      chainEvents: { intervalSeconds: 12 },
      governance: { intervalSeconds: opts.governanceInterval ?? 12 },
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
    ...(opts.store ? { store: opts.store } : {}),
  }
  const path = join(dir, 'custos.yaml')
  writeFileSync(path, stringify(config))
  const child = spawn('node', ['bin/custos.js', 'run', '--config', path], {
    cwd: opts.root ?? root,
    env: {
      ...process.env,
      CUSTOS_WEBHOOK_TOKEN: 'bench',
      ...opts.env,
      ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  await until(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, 120_000)
  return {
    child,
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export async function until(
  check: () => Promise<boolean> | boolean,
  ms: number,
  what = 'a condition',
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A webhook receiver that notes when each dedup key first arrives. */
export async function receiver() {
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

export type WatchParts = { e2e: boolean; governance: boolean; scale: boolean }

export async function watchBench(parts: WatchParts): Promise<{
  latency: LatencyRow[]
  governance: GovernanceRow[]
  scale: ScaleRow[]
}> {
  const samples = Number(process.env.BENCH_E2E_SAMPLES ?? 15)
  const scaleSeconds = Number(process.env.BENCH_SCALE_SECONDS ?? 300)
  const governorCount = Number(process.env.BENCH_GOVERNORS ?? 100)
  const lab = await startLab()
  const service = await startTxServiceEmulator(lab.rpcUrl)
  const hook = await receiver()
  const rpc = await rpcCounter(lab.rpcUrl)
  const latency: LatencyRow[] = []
  const scale: ScaleRow[] = []
  const governance: GovernanceRow[] = []
  try {
    const [, A, B, C] = lab.accounts as LabAccount[]
    const owners = [A, B, C].map((o) => o?.address as Address)
    const safes = parts.e2e || parts.scale ? await createSafes(lab, owners, 2, 1000) : []
    for (const s of safes.slice(0, 200)) await lab.test.setBalance({ address: s, value: parseEther('10') })
    const propose = await proposer(lab, service, A as LabAccount)

    for (const [count, mode, interval] of parts.e2e
      ? ([
          [1, 'poll', 2],
          [200, 'poll', 2],
          [200, 'push', 60],
        ] as const)
      : []) {
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

    // Governance end to end: a ProposalCreated mined → its alert at the receiver, one governor polled.
    const stack = parts.governance || parts.scale ? await deployGovernance(lab, { minDelay: 60 }) : undefined
    if (parts.governance && stack) {
      // The yardstick, a Safe no sample has proposed to (its service has nothing pending).
      const safe = safes.at(-1) ?? ((await createSafes(lab, owners, 2, 1))[0] as Address)
      await lab.test.setBalance({ address: safe, value: parseEther('10') })
      governance.push(...(await governanceLatency(lab, service, stack, hook, rpc.url, { safe, propose })))
    }
    if (!parts.scale || !stack) return { latency, governance, scale }

    // Scale: 1,000 Safes and 100 governors for a while; the bot's own memory and CPU (its anvil
    // forks not counted). The governors share one token and timelock and emit nothing.
    const governors = [stack.governor, ...(await deployGovernors(lab, stack, governorCount - 1))]
    const interval = 15
    const governanceInterval = 12
    const nodeOptions = process.env.BENCH_BOT_NODE_OPTIONS
    const bot = await startBot(lab, service, safes, {
      interval,
      webhookUrl: hook.url,
      push: false,
      rpcUrl: rpc.url,
      governors,
      governanceInterval,
      ...(nodeOptions ? { nodeOptions } : {}),
    })
    const pid = bot.child.pid as number
    // Let the first rounds (which read each Safe's full state once) pass before measuring.
    await new Promise((r) => setTimeout(r, 2 * interval * 1000))
    // custos is the Node process started and, when bin/custos.js starts itself again with the heap
    // caps, its child: its memory is the working process's RSS plus what the launcher holds
    // alone (its pages shared with the child, the node binary's mostly, are counted once).
    // Its anvil forks are not counted.
    const family = [pid, ...descendants(pid)].filter(isCustos)
    const worker = family.at(-1) as number
    const launchers = family.filter((p) => p !== worker)
    const rss: number[] = []
    const launcherMb: number[] = []
    const heap: number[] = []
    const heapTotal: number[] = []
    const ticks = () => family.reduce((sum, p) => sum + procTicks(p), 0)
    const svcBefore = service.requests.byRoute.get('GET multisig-transactions') ?? 0
    const rpcBefore = rpc.count
    const cpuBefore = ticks()
    const started = performance.now()
    for (let s = 0; s < scaleSeconds; s++) {
      await new Promise((r) => setTimeout(r, 1000))
      const launcher = launchers.reduce((sum, p) => sum + procPrivateMb(p), 0)
      launcherMb.push(launcher)
      rss.push(procRssMb(worker) + launcher)
      if (s % 10 === 0) {
        const metrics = await (await fetch(`${bot.url}/metrics`)).text()
        const gauge = (name: string) =>
          Number(new RegExp(`custos_nodejs_${name} (\\d+)`).exec(metrics)?.[1] ?? 0) / 2 ** 20
        heap.push(gauge('heap_size_used_bytes'))
        heapTotal.push(gauge('heap_size_total_bytes'))
      }
    }
    const wall = (performance.now() - started) / 1000
    const cpu = ((ticks() - cpuBefore) / 100 / wall) * 100
    const minutes = wall / 60
    scale.push({
      safes: safes.length,
      governors: governors.length,
      intervalSeconds: interval,
      governanceIntervalSeconds: governanceInterval,
      nodeOptions: nodeOptions ?? '',
      seconds: Math.round(wall),
      rssMbP50: round(percentile(rss, 50)),
      rssMbMax: round(Math.max(...rss)),
      processes: family.length,
      launcherMbMax: round(Math.max(0, ...launcherMb)),
      heapUsedMbMax: round(Math.max(...heap)),
      heapTotalMbMax: round(Math.max(...heapTotal)),
      cpuPercent: round(cpu),
      serviceRequestsPerSafePerMinute: round(
        ((service.requests.byRoute.get('GET multisig-transactions') ?? 0) - svcBefore) /
          safes.length /
          minutes,
        2,
      ),
      rpcRequestsPerSafePerMinute: round((rpc.count - rpcBefore) / safes.length / minutes, 2),
      rpcRequestsPerMinute: round((rpc.count - rpcBefore) / minutes),
    })
    await bot.stop()
  } finally {
    await hook.close()
    await rpc.close()
    await service.close()
    await lab.stop()
  }
  return { latency, governance, scale }
}

const drainAbi = parseAbi(['function transfer(address to, uint256 amount) returns (bool)'])

/**
 * ProposalCreated mined → its alert at the webhook receiver, `custos run` polling one governor;
 * side by side, in turns (BENCH_GOVERNANCE_ROUNDS, so that the machine's load falls on each
 * alike): the same with the custos BENCH_BEFORE points at (a built checkout), and a Safe
 * transaction reaching the service → its alert, polled at the same interval by this build.
 */
async function governanceLatency(
  lab: Lab,
  service: TxServiceEmulator,
  stack: GovernanceStack,
  hook: Awaited<ReturnType<typeof receiver>>,
  rpcUrl: string,
  yardstick: { safe: Address; propose: (safe: Address) => Promise<Hex> },
): Promise<GovernanceRow[]> {
  const samples = Number(process.env.BENCH_E2E_SAMPLES ?? 15)
  const interval = Number(process.env.BENCH_GOVERNANCE_INTERVAL ?? 2)
  const rounds = Number(process.env.BENCH_GOVERNANCE_ROUNDS ?? 3)
  const before = process.env.BENCH_BEFORE
  const variants: Array<{ watched: GovernanceRow['watched']; build: string; root?: string }> = [
    { watched: 'governor', build: 'this build' },
    ...(before
      ? [{ watched: 'governor' as const, build: process.env.BENCH_BEFORE_LABEL ?? before, root: before }]
      : []),
    { watched: 'Safe', build: 'this build' },
  ]
  const alerts = variants.map((): number[] => [])
  let proposals = 0
  for (let turn = 0; turn < rounds; turn++) {
    const perTurn = Math.ceil((samples * (turn + 1)) / rounds) - Math.ceil((samples * turn) / rounds)
    for (const [v, variant] of variants.entries()) {
      const safe = variant.watched === 'Safe'
      const bot = await startBot(lab, service, safe ? [yardstick.safe] : [], {
        interval: safe ? interval : 60,
        webhookUrl: hook.url,
        push: false,
        rpcUrl,
        governors: safe ? [] : [stack.governor],
        governanceInterval: interval,
        ...(variant.root ? { root: variant.root } : {}),
      })
      try {
        for (let i = 0; i <= perTurn; i++) {
          // Mined (or proposed) at a random moment of the poll interval, as a real one is.
          await new Promise((r) => setTimeout(r, Math.random() * interval * 1000))
          let t0: number
          let id: string
          if (safe) {
            const hash = await yardstick.propose(yardstick.safe)
            t0 = performance.now()
            id = `${lab.chainId}:safe:${hash}`
          } else {
            const created = await proposeDrain(lab, stack, proposals++)
            t0 = created.t0
            id = `${lab.chainId}:governor:${stack.governor.toLowerCase()}:${created.proposalId}`
          }
          await until(() => [...hook.arrived.keys()].some((k) => k.startsWith(id)), 60_000)
          const t1 = [...hook.arrived.entries()].find(([k]) => k.startsWith(id))?.[1] ?? t0
          // the first one after the bot starts warms its fork and is not counted
          if (i > 0) alerts[v]?.push(t1 - t0)
        }
      } finally {
        await bot.stop()
      }
    }
  }
  return variants.map((variant, v) => {
    const alert = alerts[v] ?? []
    return {
      watched: variant.watched,
      build: variant.build,
      intervalSeconds: interval,
      n: alert.length,
      alertP50: round(percentile(alert, 50)),
      alertP95: round(percentile(alert, 95)),
      alertMax: round(Math.max(...alert)),
    }
  })
}

/** A treasury drain proposed (so that it is alerted, critical); each one new by its description. */
async function proposeDrain(
  lab: Lab,
  stack: GovernanceStack,
  n: number,
): Promise<{ t0: number; proposalId: bigint }> {
  const hash = await lab.wallet.writeContract({
    account: stack.voter,
    chain: null,
    address: stack.governor,
    abi: governorAbi,
    functionName: 'propose',
    args: [
      [stack.token],
      [0n],
      [
        encodeFunctionData({
          abi: drainAbi,
          functionName: 'transfer',
          args: [RECIPIENT, parseEther('1000')],
        }),
      ],
      `Treasury diversification ${n} ${Date.now()}`,
    ],
  })
  // The lab mines each transaction as it is sent: it is in a block once the hash is back.
  const t0 = performance.now()
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 5 })
  const [created] = parseEventLogs({ abi: governorAbi, eventName: 'ProposalCreated', logs: receipt.logs })
  if (!created) throw new Error('bench: propose emitted no ProposalCreated')
  return { t0, proposalId: created.args.proposalId }
}

/** Proposes a new 1-wei transfer from a Safe to the service emulator, signed by one owner. */
export async function proposer(lab: Lab, service: TxServiceEmulator, proposerAccount: LabAccount) {
  const api = new (await loadApiKit())({ chainId: BigInt(lab.chainId), txServiceUrl: service.url })
  const nonces = new Map<Address, number>()
  return async (safe: Address): Promise<Hex> => {
    const kit = await lab.kit(safe, proposerAccount)
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
      senderAddress: proposerAccount.address,
      senderSignature: signed.getSignature(proposerAccount.address)?.data ?? '',
    })
    return hash
  }
}
