// Replicas on PostgreSQL (issue 16): how long a Safe goes unwatched when the replica leading it
// is killed, and what the replicated setup costs end to end beside one process on SQLite.
import { execFileSync } from 'node:child_process'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { type Address, parseEther } from 'viem'
import { type Lab, type LabAccount, startLab } from '../src/lab/index.js'
import { postgresBinDir, startPostgres } from '../src/lab/postgres.js'
import { startTxServiceEmulator, type TxServiceEmulator } from '../src/lab/tx-service.js'
import { createSafes } from './safes.js'
import { descendants, percentile, round } from './stats.js'
import { type Bot, proposer, receiver, startBot, until } from './watch.js'

export type FailoverRow = {
  leaseSeconds: number
  replicas: number
  kills: number
  /** SIGKILL → a surviving replica's /readyz lists the Safe's service among the sources it leads. */
  leaseP50: number
  leaseP95: number
  /** SIGKILL → the first request for the Safe's pending transactions by another replica. */
  pollP50: number
  pollP95: number
  pollMax: number
}
export type SetupRow = {
  setup: string
  intervalSeconds: number
  n: number
  p50: number
  p95: number
  max: number
}
export type ReplicasResults = {
  failover: FailoverRow[]
  latency: SetupRow[]
  postgres: string
  /** The machine's load average (1, 5, 15 min) as the part started and as it ended. */
  load: { start: number[]; end: number[] }
}

// Both setups run custos as one Node process with its heap caps (as bin/custos.js would start
// it), so SIGKILL reaches custos itself, not a launcher.
const HEAP = '--max-old-space-size=160 --max-semi-space-size=8'
const REPLICAS = 3
const INTERVAL = 2
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function replicasBench(): Promise<ReplicasResults> {
  const kills = Number(process.env.BENCH_FAILOVER_KILLS ?? 8)
  const leases = (process.env.BENCH_FAILOVER_LEASES ?? '15,5').split(',').map(Number)
  const load = { start: loadavg().map((l) => round(l, 2)), end: [] as number[] }
  const lab = await startLab()
  const service = await startTxServiceEmulator(lab.rpcUrl)
  const hook = await receiver()
  const db = await startPostgres()
  let databases = 0
  const env = { lab, service, webhookUrl: hook.url, database: () => db.createDatabase(`bench${databases++}`) }
  try {
    const latency = await endToEnd(env, hook.arrived)
    const failover: FailoverRow[] = []
    for (const leaseSeconds of leases) failover.push(await failoverRow(env, leaseSeconds, kills))
    const postgres = execFileSync(join(postgresBinDir(), 'postgres'), ['--version'], { encoding: 'utf8' })
    load.end = loadavg().map((l) => round(l, 2))
    return { failover, latency, postgres: postgres.trim(), load }
  } finally {
    await hook.close()
    await db.stop()
    await service.close()
    await lab.stop()
  }
}

type Env = { lab: Lab; service: TxServiceEmulator; webhookUrl: string; database(): Promise<string> }

/** A new Safe with no pending transaction, so that a bot starting on it has nothing to catch up. */
async function newSafe(lab: Lab): Promise<Address> {
  const owners = lab.accounts.slice(1, 4).map((a) => a.address)
  const [safe] = await createSafes(lab, owners, 2, 1)
  await lab.test.setBalance({ address: safe as Address, value: parseEther('10') })
  return safe as Address
}

/** One replica of a cluster: `label` is its replica id's prefix and its path at the relay. */
function replica(
  env: Env,
  safe: Address,
  label: string,
  url: string,
  opts: { leaseSeconds?: number; serviceUrl?: string } = {},
) {
  return startBot(env.lab, env.service, [safe], {
    interval: INTERVAL,
    webhookUrl: env.webhookUrl,
    push: false,
    rpcUrl: env.lab.rpcUrl,
    nodeOptions: HEAP,
    store: {
      driver: 'postgres',
      replicaId: label,
      ...(opts.leaseSeconds ? { leaseSeconds: opts.leaseSeconds } : {}),
    },
    env: { DATABASE_URL: url },
    ...(opts.serviceUrl ? { serviceUrl: opts.serviceUrl } : {}),
  })
}

/**
 * watch.ts's Safe measurement (1 Safe polled every 2 s: a transaction proposed to the service
 * emulator at a random moment of the interval → its alert at the webhook receiver, the first
 * after each start not counted) for one SQLite process and for three replicas, in turns.
 */
async function endToEnd(env: Env, arrived: Map<string, number>): Promise<SetupRow[]> {
  const samples = Number(process.env.BENCH_E2E_SAMPLES ?? 15)
  const rounds = Number(process.env.BENCH_REPLICAS_ROUNDS ?? 3)
  const propose = await proposer(env.lab, env.service, env.lab.accounts[1] as LabAccount)
  const setups = ['SQLite, one process', `PostgreSQL, ${REPLICAS} replicas`]
  const alerts = setups.map((): number[] => [])
  for (let turn = 0; turn < rounds; turn++) {
    const perTurn = Math.ceil((samples * (turn + 1)) / rounds) - Math.ceil((samples * turn) / rounds)
    for (const [s, alert] of alerts.entries()) {
      const safe = await newSafe(env.lab)
      let bots: Bot[]
      if (s === 0) {
        const bot = await startBot(env.lab, env.service, [safe], {
          ...{ interval: INTERVAL, webhookUrl: env.webhookUrl, push: false, rpcUrl: env.lab.rpcUrl },
          nodeOptions: HEAP,
        })
        bots = [bot]
      } else {
        const url = await env.database()
        bots = await Promise.all(
          Array.from({ length: REPLICAS }, (_, i) => replica(env, safe, `e${turn}r${i}`, url)),
        )
      }
      try {
        for (let i = 0; i <= perTurn; i++) {
          await sleep(Math.random() * INTERVAL * 1000)
          const id = `${env.lab.chainId}:safe:${(await propose(safe)).toLowerCase()}`
          const t0 = performance.now()
          await until(() => [...arrived.keys()].some((k) => k.startsWith(id)), 60_000, `the alert of ${id}`)
          const t1 = [...arrived.entries()].find(([k]) => k.startsWith(id))?.[1] ?? t0
          if (i > 0) alert.push(t1 - t0)
        }
      } finally {
        await Promise.all(bots.map((b) => b.stop()))
      }
    }
  }
  return setups.map((setup, s) => {
    const a = alerts[s] ?? []
    const [p50, p95, max] = [percentile(a, 50), percentile(a, 95), Math.max(...a)].map((v) => round(v))
    return { setup, intervalSeconds: INTERVAL, n: a.length, p50: p50 ?? 0, p95: p95 ?? 0, max: max ?? 0 }
  })
}

/**
 * Three replicas watching a Safe; the one leading its transaction service is killed with
 * SIGKILL at a random moment, `kills` times. Each time: how long until a survivor shows the
 * lease in /readyz (sampled every 25 ms), and until the relay in front of the service sees a
 * survivor ask for the Safe's pending transactions. Then the killed one is started again (its
 * anvil forks, if any, killed as a supervisor would), and the cluster settles before the next.
 */
async function failoverRow(env: Env, leaseSeconds: number, kills: number): Promise<FailoverRow> {
  const safe = await newSafe(env.lab)
  const url = await env.database()
  const relay = await serviceRelay(env.service.url)
  let started = 0
  const start = async () => {
    const label = `l${leaseSeconds}r${started++}`
    return {
      label,
      bot: await replica(env, safe, label, url, { leaseSeconds, serviceUrl: relay.url(label) }),
    }
  }
  let live = await Promise.all(Array.from({ length: REPLICAS }, start))
  const leaseTimes: number[] = []
  const pollTimes: number[] = []
  const poll = new RegExp(`/safes/${safe}/multisig-transactions/`, 'i')
  try {
    for (let k = 0; k < kills; k++) {
      // A random moment of the leader's renewal period and of the poll interval.
      await sleep(1000 + Math.random() * 3000)
      const leader = await leaderWithin(live, 60_000)
      const orphans = descendants(leader.bot.child.pid as number)
      const t0 = performance.now()
      leader.bot.child.kill('SIGKILL')
      const survivors = live.filter((r) => r !== leader)
      let leaseAt: number | undefined
      let pollAt: number | undefined
      const deadline = t0 + 3 * leaseSeconds * 1000 + 30_000
      while (leaseAt === undefined || pollAt === undefined) {
        if (performance.now() > deadline)
          throw new Error(
            `bench: no survivor took over the Safe's service within ${Math.round(deadline - t0)} ms (lease ${leaseAt}, poll ${pollAt})`,
          )
        pollAt ??= relay.seen.find((s) => s.at > t0 && s.who !== leader.label && poll.test(s.path))?.at
        if (leaseAt === undefined && (await leaderOf(survivors))) leaseAt = performance.now()
        await sleep(25)
      }
      leaseTimes.push(leaseAt - t0)
      pollTimes.push(pollAt - t0)
      for (const pid of orphans) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone already
        }
      }
      live = [...survivors, await start()]
    }
  } finally {
    await Promise.all(live.map((r) => r.bot.stop()))
    await relay.close()
  }
  const r = (values: number[], p: number) => round(percentile(values, p))
  return {
    ...{ leaseSeconds, replicas: REPLICAS, kills },
    ...{ leaseP50: r(leaseTimes, 50), leaseP95: r(leaseTimes, 95) },
    ...{ pollP50: r(pollTimes, 50), pollP95: r(pollTimes, 95), pollMax: round(Math.max(...pollTimes)) },
  }
}

type Replica = { label: string; bot: Bot }

/** The replica whose /readyz lists the Safe's transaction service among the sources it leads. */
async function leaderOf(replicas: Replica[]): Promise<Replica | undefined> {
  for (const r of replicas) {
    const body = (await fetch(`${r.bot.url}/readyz`)
      .then((res) => res.json())
      .catch(() => undefined)) as { leads?: string[] } | undefined
    if (body?.leads?.some((l) => l.startsWith('tx-service:'))) return r
  }
  return undefined
}

async function leaderWithin(replicas: Replica[], ms: number): Promise<Replica> {
  const deadline = performance.now() + ms
  for (;;) {
    const leader = await leaderOf(replicas)
    if (leader) return leader
    if (performance.now() > deadline) throw new Error("bench: no replica leads the Safe's service")
    await sleep(25)
  }
}

/**
 * A relay in front of the service emulator: each replica reaches it under its own path prefix,
 * so that every request is known by who made it and when it arrived.
 */
async function serviceRelay(upstream: string) {
  const target = new URL(upstream)
  const seen: Array<{ who: string; path: string; at: number }> = []
  const server = createServer((req, res) => {
    const at = performance.now()
    const [, who = '', ...rest] = (req.url ?? '/').split('/')
    const path = `/${rest.join('/')}`
    seen.push({ who, path, at })
    const up = request(
      { host: target.hostname, port: target.port, path, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    up.on('error', () => {
      res.writeHead(502)
      res.end()
    })
    req.pipe(up)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    seen,
    /** The service's URL for the replica `who`. */
    url: (who: string) => `${base}/${who}${target.pathname}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
