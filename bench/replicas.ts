// Replicas on PostgreSQL (issue 16): how long a Safe goes unwatched when the replica leading it
// is killed, and what the replicated setup costs end to end beside one process on SQLite.
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { type Address, parseEther } from 'viem'
import { type Lab, type LabAccount, startLab } from '../src/lab/index.js'
import { postgresBinDir, startPostgres } from '../src/lab/postgres.js'
import { startTxServiceEmulator } from '../src/lab/tx-service.js'
import {
  type Env,
  type FailoverRow,
  failoverRow,
  HEAP,
  INTERVAL,
  REPLICAS,
  replica,
  serviceRelay,
  sleep,
} from './failover.js'
import { createSafes } from './safes.js'
import { percentile, round } from './stats.js'
import { type Bot, proposer, receiver, startBot, until } from './watch.js'

export type SetupRow = {
  setup: string
  intervalSeconds: number
  n: number
  /** Proposed → alerted (ms). */
  p50: number
  p95: number
  max: number
  /** The poll that found it reaching the service → alerted (ms): without the wait for a poll. */
  afterPollP50: number
  afterPollP95: number
}
export type { FailoverRow }
export type ReplicasResults = {
  failover: FailoverRow[]
  latency: SetupRow[]
  postgres: string
  /** The machine's load average (1, 5, 15 min) as the part started and as it ended. */
  load: { start: number[]; end: number[] }
}

export async function replicasBench(): Promise<ReplicasResults> {
  const kills = Number(process.env.BENCH_FAILOVER_KILLS ?? 8)
  const leases = (process.env.BENCH_FAILOVER_LEASES ?? '15,5').split(',').map(Number)
  const samples = Number(process.env.BENCH_E2E_SAMPLES ?? 15)
  const rounds = Number(process.env.BENCH_REPLICAS_ROUNDS ?? 3)
  const load = { start: loadavg().map((l) => round(l, 2)), end: [] as number[] }
  const lab = await startLab()
  const service = await startTxServiceEmulator(lab.rpcUrl)
  const hook = await receiver()
  const db = await startPostgres()
  const relay = await serviceRelay(service.url)
  let databases = 0
  try {
    const env: Env = {
      ...{
        lab,
        service,
        relay,
        webhookUrl: hook.url,
        newSafe: await newSafes(lab, 3 * rounds + leases.length),
      },
      database: () => db.createDatabase(`bench${databases++}`),
    }
    const latency = await endToEnd(env, hook.arrived, samples, rounds)
    const failover: FailoverRow[] = []
    for (const leaseSeconds of kills > 0 ? leases : [])
      failover.push(await failoverRow(env, leaseSeconds, kills))
    const postgres = execFileSync(join(postgresBinDir(), 'postgres'), ['--version'], { encoding: 'utf8' })
    load.end = loadavg().map((l) => round(l, 2))
    return { failover, latency, postgres: postgres.trim(), load }
  } finally {
    await hook.close()
    await relay.close()
    await db.stop()
    await service.close()
    await lab.stop()
  }
}

/** Safes with no pending transaction, so that a bot starting on one has nothing to catch up. */
async function newSafes(lab: Lab, count: number): Promise<() => Address> {
  const owners = lab.accounts.slice(1, 4).map((a) => a.address)
  const safes = await createSafes(lab, owners, 2, count)
  for (const address of safes) await lab.test.setBalance({ address, value: parseEther('10') })
  return () => {
    const safe = safes.shift()
    if (!safe) throw new Error('bench: out of Safes')
    return safe
  }
}

/**
 * watch.ts's Safe measurement (1 Safe polled every 2 s: a transaction proposed to the service
 * emulator at a random moment of the interval → its alert at the webhook receiver, the first
 * after each start not counted) for one SQLite process, one process on PostgreSQL (what the
 * store costs) and three replicas on it (what sharing the work costs), in turns.
 */
async function endToEnd(
  env: Env,
  arrived: Map<string, number>,
  samples: number,
  rounds: number,
): Promise<SetupRow[]> {
  const propose = await proposer(env.lab, env.service, env.lab.accounts[1] as LabAccount)
  const setups = [
    { name: 'SQLite, one process', replicas: 0 },
    { name: 'PostgreSQL, one process', replicas: 1 },
    { name: `PostgreSQL, ${REPLICAS} replicas`, replicas: REPLICAS },
  ]
  const times = setups.map(() => ({ alert: [] as number[], afterPoll: [] as number[] }))
  for (let turn = 0; turn < rounds; turn++) {
    const perTurn = Math.ceil((samples * (turn + 1)) / rounds) - Math.ceil((samples * turn) / rounds)
    for (const [s, { alert, afterPoll }] of times.entries()) {
      const safe = env.newSafe()
      let bots: Bot[]
      const { replicas } = setups[s] as (typeof setups)[number]
      if (!replicas) {
        const bot = await startBot(env.lab, env.service, [safe], {
          ...{ interval: INTERVAL, webhookUrl: env.webhookUrl, push: false, rpcUrl: env.lab.rpcUrl },
          ...{ nodeOptions: HEAP, serviceUrl: env.relay.url(`e${turn}s${s}`) },
        })
        bots = [bot]
      } else {
        const url = await env.database()
        bots = await Promise.all(
          Array.from({ length: replicas }, (_, i) => replica(env, safe, `e${turn}s${s}r${i}`, url)),
        )
      }
      try {
        for (let i = 0; i <= perTurn; i++) {
          await sleep(Math.random() * INTERVAL * 1000)
          const id = `${env.lab.chainId}:safe:${(await propose(safe)).toLowerCase()}`
          const t0 = performance.now()
          await until(() => [...arrived.keys()].some((k) => k.startsWith(id)), 60_000, `the alert of ${id}`)
          const t1 = [...arrived.entries()].find(([k]) => k.startsWith(id))?.[1] ?? t0
          // The poll that found it: the first to reach the service after it was proposed (or, if
          // the alert came first, the one that was under way as it was).
          const polls = env.relay.polls(safe)
          const found = polls.find((p) => p.at >= t0 && p.at <= t1) ?? polls.filter((p) => p.at < t0).at(-1)
          if (i > 0) {
            alert.push(t1 - t0)
            if (found) afterPoll.push(t1 - found.at)
          }
        }
      } finally {
        await Promise.all(bots.map((b) => b.stop()))
      }
    }
  }
  return setups.map(({ name: setup }, s) => {
    const { alert: a, afterPoll: b } = times[s] as (typeof times)[number]
    return {
      ...{ setup, intervalSeconds: INTERVAL, n: a.length },
      ...{ p50: round(percentile(a, 50)), p95: round(percentile(a, 95)), max: round(Math.max(...a)) },
      ...{ afterPollP50: round(percentile(b, 50)), afterPollP95: round(percentile(b, 95)) },
    }
  })
}
