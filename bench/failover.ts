// Failover of replicas on PostgreSQL: the replica leading a Safe's transaction service is
// killed with SIGKILL; how long until another one has its lease, and until it polls the service.
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Address } from 'viem'
import type { Lab } from '../src/lab/index.js'
import type { TxServiceEmulator } from '../src/lab/tx-service.js'
import { descendants, percentile, round } from './stats.js'
import { type Bot, startBot } from './watch.js'

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
  /** Each kill's two times (ms), in order. */
  samples: Array<{ lease: number; poll: number }>
}
// Both setups run custos as one Node process with its heap caps (as bin/custos.js would start
// it), so SIGKILL reaches custos itself, not a launcher.
export const HEAP = '--max-old-space-size=160 --max-semi-space-size=8'
export const REPLICAS = 3
export const INTERVAL = 2
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export type Env = {
  lab: Lab
  service: TxServiceEmulator
  /** In front of the service: every bot reaches it under its own path. */
  relay: Relay
  webhookUrl: string
  database(): Promise<string>
  newSafe(): Address
}

/** One replica of a cluster: `label` is its replica id's prefix and its path at the relay. */
export function replica(env: Env, safe: Address, label: string, url: string, leaseSeconds?: number) {
  return startBot(env.lab, env.service, [safe], {
    interval: INTERVAL,
    webhookUrl: env.webhookUrl,
    push: false,
    rpcUrl: env.lab.rpcUrl,
    nodeOptions: HEAP,
    store: {
      driver: 'postgres',
      replicaId: label,
      ...(leaseSeconds ? { leaseSeconds } : {}),
    },
    env: { DATABASE_URL: url },
    serviceUrl: env.relay.url(label),
  })
}

/**
 * Three replicas watching a Safe; the one leading its transaction service is killed with
 * SIGKILL at a random moment, `kills` times. Each time: how long until a survivor shows the
 * lease in /readyz (sampled every 25 ms), and until the relay in front of the service sees a
 * survivor ask for the Safe's pending transactions. Then the killed one is started again (its
 * anvil forks, if any, killed as a supervisor would), and the cluster settles before the next.
 */
export async function failoverRow(env: Env, leaseSeconds: number, kills: number): Promise<FailoverRow> {
  const safe = env.newSafe()
  const url = await env.database()
  let started = 0
  const start = async () => {
    const label = `l${leaseSeconds}r${started++}`
    return {
      label,
      bot: await replica(env, safe, label, url, leaseSeconds),
    }
  }
  let live = await Promise.all(Array.from({ length: REPLICAS }, start))
  const leaseTimes: number[] = []
  const pollTimes: number[] = []
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
        pollAt ??= env.relay.polls(safe).find((s) => s.at > t0 && s.who !== leader.label)?.at
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
  }
  const r = (values: number[], p: number) => round(percentile(values, p))
  return {
    ...{ leaseSeconds, replicas: REPLICAS, kills },
    ...{ leaseP50: r(leaseTimes, 50), leaseP95: r(leaseTimes, 95) },
    ...{ pollP50: r(pollTimes, 50), pollP95: r(pollTimes, 95), pollMax: round(Math.max(...pollTimes)) },
    samples: leaseTimes.map((lease, i) => ({
      lease: Math.round(lease),
      poll: Math.round(pollTimes[i] ?? 0),
    })),
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
export type Relay = Awaited<ReturnType<typeof serviceRelay>>

export async function serviceRelay(upstream: string) {
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
    /** The service's URL for the bot `who`. */
    url: (who: string) => `${base}/${who}${target.pathname}`,
    /** The requests for a Safe's pending transactions (its polls), in order of arrival. */
    polls: (safe: Address) =>
      seen.filter((s) =>
        s.path.toLowerCase().includes(`/safes/${safe.toLowerCase()}/multisig-transactions/`),
      ),
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
