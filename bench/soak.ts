// Soak: many simulations on one warm fork, with recycling thresholds low enough that the fork
// manager replaces anvil during the run; anvil's RSS is sampled throughout.
import { type Address, parseEther } from 'viem'
import { type Lab, startLab } from '../src/lab/index.js'
import { custosGuardAbi, guardCodeHash } from '../src/respond/guard/contract.js'
import { createSimulator } from '../src/simulate/index.js'
import type { SafeSimInput } from '../src/simulate/safe.js'
import { transactions } from './simulate.js'
import { percentile, procRssMb, round } from './stats.js'

export type SoakRow = {
  simulations: number
  seconds: number
  perSecond: number
  p50: number
  p95: number
  maxLifetimeSeconds: number
  maxRssMb: number
  anvilRssMbFirst: number
  anvilRssMbMax: number
  anvilRssMbEnd: number
  recycles: number
  starts: number
  resets: number
  failures: number
}

/**
 * BENCH_SOAK simulations twice: with the default thresholds (no recycling within the run, to see
 * how anvil's memory grows), then with low ones (BENCH_SOAK_LIFETIME_S, BENCH_SOAK_RSS_MB).
 */
export async function soakBench(): Promise<SoakRow[]> {
  const total = Number(process.env.BENCH_SOAK ?? 10_000)
  const lab = await startLab()
  try {
    const [, a, b, c] = lab.accounts
    const safe = await lab.createSafe({
      owners: [a, b, c].map((x) => x?.address as Address),
      threshold: 2,
      fund: parseEther('10'),
    })
    const inputs = await transactions(lab, safe)
    return [
      await soak(lab, inputs, total, 3600_000, 1024),
      await soak(
        lab,
        inputs,
        total,
        Number(process.env.BENCH_SOAK_LIFETIME_S ?? 20) * 1000,
        Number(process.env.BENCH_SOAK_RSS_MB ?? 150),
      ),
    ]
  } finally {
    await lab.stop()
  }
}

async function soak(
  lab: Lab,
  inputs: SafeSimInput[],
  total: number,
  maxLifetimeMs: number,
  maxRssMb: number,
): Promise<SoakRow> {
  const simulator = createSimulator({
    mode: () => 'fork',
    timeoutMs: 60_000,
    requestTimeoutMs: 30_000,
    maxAgeMs: 120_000,
    maxLifetimeMs,
    maxRssMb,
    custosGuard: { abi: custosGuardAbi, codeHash: guardCodeHash },
  })
  const rss: number[] = []
  const sample = () => {
    const mb = simulator.forks.processes().reduce((sum, p) => sum + (p.pid ? procRssMb(p.pid) : 0), 0)
    if (mb > 0) rss.push(mb)
  }
  const sampler = setInterval(sample, 250)
  try {
    let failures = 0
    const ms: number[] = []
    // Warm the fork with each kind once (not counted).
    for (const input of inputs) await simulator.simulateSafe(lab.chainId, [lab.rpcUrl], input)
    const started = performance.now()
    for (let i = 0; i < total; i++) {
      const t0 = performance.now()
      const r = await simulator.simulateSafe(
        lab.chainId,
        [lab.rpcUrl],
        inputs[i % inputs.length] as SafeSimInput,
      )
      ms.push(performance.now() - t0)
      if (!r.ok) failures++
      if (i % 1000 === 0) sample()
    }
    const seconds = (performance.now() - started) / 1000
    sample()
    const stats = simulator.forks.stats()
    return {
      simulations: total,
      seconds: round(seconds),
      perSecond: round(total / seconds),
      p50: round(percentile(ms, 50)),
      p95: round(percentile(ms, 95)),
      maxLifetimeSeconds: maxLifetimeMs / 1000,
      maxRssMb,
      anvilRssMbFirst: round(rss[0] ?? 0),
      anvilRssMbMax: round(Math.max(...rss)),
      anvilRssMbEnd: round(rss.at(-1) ?? 0),
      recycles: stats.recycles,
      starts: stats.starts,
      resets: stats.resets,
      failures,
    }
  } finally {
    clearInterval(sampler)
    await simulator.close()
  }
}
