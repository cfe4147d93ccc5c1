// Simulation latency of Safe transactions on the lab: warm fork vs a fresh fork per transaction vs
// the RPC node tracing directly, with the upstream requests each one costs.
import { type Address, encodeFunctionData, getAddress, type Hex, parseAbi, parseEther } from 'viem'
import { configSchema } from '../src/config/schema.js'
import { SLOT0_WRITER } from '../src/lab/contracts.js'
import { type Lab, startLab } from '../src/lab/index.js'
import { packMultiSend } from '../src/model/multisend.js'
import type { SafeTx } from '../src/model/safe.js'
import { safeTxHashes } from '../src/model/safe-hash.js'
import { createConfiguredSimulator, runtimeFrom } from '../src/pipeline.js'
import type { Simulator } from '../src/simulate/index.js'
import type { SafeSimInput } from '../src/simulate/safe.js'
import { type CountingProxy, startProxy } from './proxy.js'
import { mean, percentile, round } from './stats.js'

const erc20 = parseAbi([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function multiSend(bytes transactions)',
  'function addOwnerWithThreshold(address owner, uint256 _threshold)',
])
const RECIPIENT = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')

type Sample = { ms: number; requests: number }
export type Row = {
  approach: string
  latencyMs: number
  n: number
  p50: number
  p95: number
  mean: number
  requestsPerSim: number
}

const rt = runtimeFrom({ config: configSchema.parse({}), abis: [] })

export async function transactions(lab: Lab, safe: Address): Promise<SafeSimInput[]> {
  const base = {
    safe,
    value: 0n,
    data: '0x' as Hex,
    operation: 0 as const,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: '0x0000000000000000000000000000000000000000' as Address,
    refundReceiver: '0x0000000000000000000000000000000000000000' as Address,
    nonce: 0n,
  }
  const transfer = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [RECIPIENT, 1000n] })
  const txs: SafeTx[] = [
    { ...base, to: RECIPIENT, value: parseEther('0.1') },
    { ...base, to: lab.token, data: transfer },
    {
      ...base,
      to: lab.contracts.multiSendCallOnly,
      operation: 1,
      data: encodeFunctionData({
        abi: erc20,
        functionName: 'multiSend',
        args: [
          packMultiSend([1, 2, 3].map(() => ({ operation: 0, to: lab.token, value: 0n, data: transfer }))),
        ],
      }),
    },
    {
      ...base,
      to: safe,
      data: encodeFunctionData({ abi: erc20, functionName: 'addOwnerWithThreshold', args: [RECIPIENT, 2n] }),
    },
    { ...base, to: MALICIOUS, operation: 1, data: transfer },
  ]
  return txs.map((tx) => ({
    tx,
    safeTxHash: safeTxHashes('1.4.1', lab.chainId, tx).safeTxHash,
    version: '1.4.1',
    chainId: lab.chainId,
    registry: rt.registry,
    tokens: [],
    candidates: [],
  }))
}

async function measure(proxy: CountingProxy, sim: () => Promise<unknown>): Promise<Sample> {
  const before = proxy.count
  const t0 = performance.now()
  await sim()
  return { ms: performance.now() - t0, requests: proxy.count - before }
}

async function run(simulator: Simulator, chainId: number, upstream: string, input: SafeSimInput) {
  const r = await simulator.simulateSafe(chainId, [upstream], input)
  if (!r.ok) throw new Error(`simulation failed: ${r.error}`)
  return r
}

function row(approach: string, latencyMs: number, samples: Sample[]): Row {
  const ms = samples.map((s) => s.ms)
  return {
    approach,
    latencyMs,
    n: samples.length,
    p50: round(percentile(ms, 50)),
    p95: round(percentile(ms, 95)),
    mean: round(mean(ms)),
    requestsPerSim: round(mean(samples.map((s) => s.requests))),
  }
}

/** Simulation latency: warm fork, a fresh fork per transaction, and the node tracing directly. */
export async function simulationBench(): Promise<Row[]> {
  const warmN = Number(process.env.BENCH_WARM ?? 100)
  const coldN = Number(process.env.BENCH_COLD ?? 10)
  const lab = await startLab()
  const rows: Row[] = []
  try {
    const [, a, b, c] = lab.accounts
    const safe = await lab.createSafe({
      owners: [a, b, c].map((x) => x?.address as Address),
      threshold: 2,
      fund: parseEther('10'),
    })
    await lab.wallet.writeContract({
      account: lab.accounts[0]?.address as Address,
      chain: null,
      address: lab.token,
      abi: erc20,
      functionName: 'transfer',
      args: [safe, 10n ** 12n],
    })
    await lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
    const inputs = await transactions(lab, safe)
    const pick = (i: number) => inputs[i % inputs.length] as SafeSimInput

    for (const latency of [0, 50]) {
      const proxy = await startProxy(lab.rpcUrl, latency)
      // Warm fork: one fork, reused; the first simulations (which warm it) are not counted. With
      // prefetching (the default) and without, side by side, samples taken in turns so that the
      // machine's noise falls on both alike: a warm fork must not be slower.
      const warm = [true, false].map((prefetch) => ({
        prefetch,
        sim: createConfiguredSimulator(rt, { prefetch }),
        samples: [] as Sample[],
      }))
      for (const w of warm)
        for (let i = 0; i < inputs.length; i++) await run(w.sim, lab.chainId, proxy.url, pick(i))
      for (let i = 0; i < warmN; i++)
        for (const w of i % 2 ? warm : [...warm].reverse())
          w.samples.push(await measure(proxy, () => run(w.sim, lab.chainId, proxy.url, pick(i))))
      for (const w of warm) {
        await w.sim.close()
        rows.push(
          row(w.prefetch ? 'custos warm fork' : 'custos warm fork, without prefetch', latency, w.samples),
        )
      }

      // A fresh fork per transaction, as most scripts do: start anvil --fork-url, simulate, stop
      // (anvil reading lazily: no prefetch).
      const coldSamples: Sample[] = []
      for (let i = 0; i < coldN; i++) {
        coldSamples.push(
          await measure(proxy, async () => {
            const cold = createConfiguredSimulator(rt, { prefetch: false })
            try {
              await run(cold, lab.chainId, proxy.url, pick(i))
            } finally {
              await cold.close()
            }
          }),
        )
      }
      rows.push(row('fresh fork per transaction', latency, coldSamples))

      // The floor: the upstream node traces the call itself (state reads + two debug_traceCall).
      const direct = createConfiguredSimulator(rt, { mode: 'direct' })
      const directSamples: Sample[] = []
      for (let i = 0; i < warmN; i++)
        directSamples.push(await measure(proxy, () => run(direct, lab.chainId, proxy.url, pick(i))))
      rows.push(row('direct on the upstream node', latency, directSamples))
      await proxy.close()
    }
  } finally {
    await lab.stop()
  }
  return rows
}
