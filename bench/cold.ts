// Cold simulations: state the fork has never seen (a Safe's MultiSend paying several tokens to
// hundreds of fresh recipients; a governance proposal calling several contracts), behind a proxy
// that adds latency to every upstream request. Side by side: anvil reading lazily (custos before
// prefetching), custos with prefetch, a fresh fork per transaction, the node tracing directly;
// then the same transaction again on the warm fork, and after the fork moved to a newer block.
import { type Address, encodeFunctionData, getAddress, parseAbi, parseEther } from 'viem'
import { configSchema } from '../src/config/schema.js'
import { deployGovernance } from '../src/lab/governance/index.js'
import { type Lab, type LabAccount, startLab } from '../src/lab/index.js'
import {
  deployTokens,
  freshAddresses,
  fundTokens,
  multiSendTx,
  transferCalls,
} from '../src/lab/state-heavy.js'
import { safeTxHashes } from '../src/model/safe-hash.js'
import type { SimulationResult } from '../src/model/simulation.js'
import { createConfiguredSimulator, runtimeFrom } from '../src/pipeline.js'
import type { GovernanceSimInput } from '../src/simulate/governance.js'
import type { Simulator } from '../src/simulate/index.js'
import type { SafeSimInput } from '../src/simulate/safe.js'
import { type CountingProxy, serialRoundTrips, startProxy } from './proxy.js'
import { mean, percentile, round } from './stats.js'

export type ColdRow = {
  scenario: string
  approach: string
  latencyMs: number
  n: number
  p50: number
  p95: number
  mean: number
  /** Upstream JSON-RPC calls per simulation (a batch counts each call). */
  requestsPerSim: number
  /** HTTP exchanges with the upstream per simulation (a batch is one). */
  exchangesPerSim: number
  /** Of those, the round trips made one after another (the rest ran side by side). */
  roundTripsPerSim: number
}

export type ColdScenario = { name: string; slotsWritten: number; stateReads: number }

const rt = runtimeFrom({ config: configSchema.parse({}), abis: [] })
const timelockAbi = parseAbi(['function updateDelay(uint256 newDelay)'])
const safeAbi = parseAbi(['function getOwners() view returns (address[])'])

type Case = {
  name: string
  /** A new instance of the same scenario (fresh recipients), so no fork has seen it. */
  make(round: number): SafeSimInput | GovernanceSimInput
}

const run = async (
  sim: Simulator,
  chainId: number,
  url: string,
  input: SafeSimInput | GovernanceSimInput,
) => {
  const r: SimulationResult =
    'tx' in input
      ? await sim.simulateSafe(chainId, [url], input)
      : await sim.simulateGovernance(chainId, [url], input)
  if (!r.ok) throw new Error(`bench: simulation failed: ${r.error}`)
  if (!r.simulation.success) throw new Error(`bench: the scenario reverts: ${r.simulation.revertReason}`)
  return r.simulation
}

type Sample = { ms: number; requests: number; exchanges: number; roundTrips: number }

async function measure(proxy: CountingProxy, work: () => Promise<unknown>): Promise<Sample> {
  const count = proxy.count
  const from = proxy.exchanges.length
  const t0 = performance.now()
  await work()
  const ms = performance.now() - t0
  const exchanges = proxy.exchanges.slice(from)
  return {
    ms,
    requests: proxy.count - count,
    exchanges: exchanges.length,
    roundTrips: serialRoundTrips(exchanges),
  }
}

const row = (scenario: string, approach: string, latencyMs: number, s: Sample[]): ColdRow => {
  const ms = s.map((x) => x.ms)
  return {
    scenario,
    approach,
    latencyMs,
    n: s.length,
    p50: round(percentile(ms, 50)),
    p95: round(percentile(ms, 95)),
    mean: round(mean(ms)),
    requestsPerSim: round(mean(s.map((x) => x.requests))),
    exchangesPerSim: round(mean(s.map((x) => x.exchanges))),
    roundTripsPerSim: round(mean(s.map((x) => x.roundTrips))),
  }
}

/** The lab's state-heavy Safe transaction and multi-contract proposal, as cases. */
async function cases(lab: Lab): Promise<Case[]> {
  const recipients = Number(process.env.BENCH_COLD_RECIPIENTS ?? 110)
  const owners3 = (lab.accounts as LabAccount[]).slice(1, 4).map((x) => x.address)
  const safe = await lab.createSafe({
    owners: owners3,
    threshold: 2,
    fund: parseEther('10'),
  })
  const tokens = [lab.token, ...(await deployTokens(lab, 2))]
  await fundTokens(lab, tokens, safe, 10n ** 14n)
  const gov = await deployGovernance(lab)
  await fundTokens(lab, tokens, gov.timelock, 10n ** 14n)
  const owners = [
    ...(await lab.public.readContract({ address: safe, abi: safeAbi, functionName: 'getOwners' })),
  ]
  return [
    {
      name: `Safe MultiSend: ${tokens.length} tokens to ${recipients} fresh recipients (${tokens.length * recipients} transfers)`,
      make: (i) => {
        const tx = multiSendTx(
          lab,
          safe,
          transferCalls(tokens, freshAddresses(`cold-safe-${i}`, recipients), 1n),
        )
        return {
          tx,
          safeTxHash: safeTxHashes('1.4.1', lab.chainId, tx).safeTxHash,
          version: '1.4.1',
          chainId: lab.chainId,
          registry: rt.registry,
          tokens: [],
          candidates: [],
          expected: { nonce: 0n, threshold: 2n, owners },
        }
      },
    },
    {
      name: `governance proposal: ${tokens.length + 1} tokens to 25 fresh recipients, ETH, the timelock's delay`,
      make: (i) => ({
        chainId: lab.chainId,
        executor: gov.timelock,
        calls: [
          ...transferCalls([...tokens, gov.token], freshAddresses(`cold-gov-${i}`, 25), 1n).map((x) => ({
            ...x,
            operation: 'call' as const,
          })),
          {
            to: getAddress(freshAddresses(`cold-eth-${i}`, 1)[0] as Address),
            value: parseEther('1'),
            data: '0x',
            operation: 'call',
          },
          {
            to: gov.timelock,
            value: 0n,
            data: encodeFunctionData({ abi: timelockAbi, functionName: 'updateDelay', args: [3600n] }),
            operation: 'call',
          },
        ],
        registry: rt.registry,
        tokens: [],
      }),
    },
  ]
}

export async function coldBench(): Promise<{ rows: ColdRow[]; scenarios: ColdScenario[] }> {
  const n = Number(process.env.BENCH_COLD_N ?? 5)
  const lab = await startLab()
  const rows: ColdRow[] = []
  const scenarios: ColdScenario[] = []
  let instance = 0
  try {
    for (const c of await cases(lab)) {
      // Once untimed: token symbols and decimals are kept for the process, whatever the path.
      const first = createConfiguredSimulator(rt, { prefetch: false })
      const probe = await startProxy(lab.rpcUrl, 0)
      await first.forks.use(lab.chainId, [probe.url], async () => undefined)
      const before = probe.count
      const sim = await run(first, lab.chainId, probe.url, c.make(instance++))
      scenarios.push({
        name: c.name,
        slotsWritten: sim.storageDiff.reduce((k, d) => k + d.storage.length, 0),
        stateReads: probe.count - before,
      })
      await first.close()
      await probe.close()

      for (const latency of [0, 50]) {
        const proxy = await startProxy(lab.rpcUrl, latency)
        const samples: Record<string, Sample[]> = {}
        const add = (name: string, s: Sample) => {
          samples[name] = [...(samples[name] ?? []), s]
        }
        for (let i = 0; i < n; i++) {
          // A fork started (not timed), then the first simulation of state it has not seen; then
          // the same one again, warm; then again after the fork moved to a newer block.
          for (const prefetch of [false, true]) {
            const label = prefetch ? 'custos with prefetch' : 'anvil reading lazily (custos before)'
            const forked = createConfiguredSimulator(rt, { prefetch })
            try {
              const input = c.make(instance++)
              await forked.forks.use(lab.chainId, [proxy.url], async () => undefined)
              add(`cold: ${label}`, await measure(proxy, () => run(forked, lab.chainId, proxy.url, input)))
              add(`warm: ${label}`, await measure(proxy, () => run(forked, lab.chainId, proxy.url, input)))
              // The move itself is timed too: it happens right before a simulation that needs it.
              await lab.test.mine({ blocks: 1 })
              add(
                `after a move: ${label}`,
                await measure(proxy, async () => {
                  await forked.forks.use(lab.chainId, [proxy.url], async () => undefined, true)
                  await run(forked, lab.chainId, proxy.url, input)
                }),
              )
            } finally {
              await forked.close()
            }
          }
          const input = c.make(instance++)
          add(
            'cold: a fresh fork per transaction (start included, no prefetch)',
            await measure(proxy, async () => {
              const fresh = createConfiguredSimulator(rt, { prefetch: false })
              try {
                await run(fresh, lab.chainId, proxy.url, input)
              } finally {
                await fresh.close()
              }
            }),
          )
          const direct = createConfiguredSimulator(rt, { mode: 'direct' })
          add(
            'cold: the node tracing directly',
            await measure(proxy, () => run(direct, lab.chainId, proxy.url, c.make(instance++))),
          )
          await direct.close()
        }
        const order = (a: string) => ['cold', 'warm', 'after'].findIndex((p) => a.startsWith(p))
        for (const [approach, s] of Object.entries(samples).sort(([a], [b]) => order(a) - order(b)))
          rows.push(row(c.name, approach, latency, s))
        await proxy.close()
      }
    }
  } finally {
    await lab.stop()
  }
  return { rows, scenarios }
}
