// Protocol watchdogs: 500 Chainlink feed checks evaluated per block (RPC requests per round, time
// per round), and the time from a feed going stale to its alert with `custos run` as a process.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Address,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  getContractAddress,
  type Hex,
} from 'viem'
import { stringify } from 'yaml'
import { check as checkSchema } from '../src/config/protocols.js'
import { type Lab, startLab } from '../src/lab/index.js'
import { ensureMulticall3 } from '../src/lab/multicall3.js'
import { LAB_BOUNDS, LAB_PRICE, loadProtocolArtifacts } from '../src/lab/protocol/index.js'
import { runRound } from '../src/pipeline/check-round.js'
import { freePort } from '../src/simulate/anvil.js'
import { createBatchReader } from '../src/sources/multicall.js'
import { createRpcClient } from '../src/sources/rpc.js'
import { planChecks } from '../src/watchdogs/round.js'
import { type CountingProxy, startProxy } from './proxy.js'
import { percentile, round } from './stats.js'

const root = join(import.meta.dirname, '../..')
const PROTOCOL: Address = getAddress('0x000000000000000000000000000000000000b0b0')

export type RoundRow = {
  feeds: number
  /** Latency the proxy adds to each request (ms), standing for a remote RPC provider. */
  latencyMs: number
  rounds: number
  /** Requests of the first round (decimals and bounds are read then, and remembered). */
  firstRoundRequests: number
  /** Requests of every later round, block number included. */
  requestsPerRound: number
  roundP50Ms: number
  roundP95Ms: number
}
export type StaleRow = {
  feeds: number
  intervalSeconds: number
  blockSeconds: number
  n: number
  /** From the block that shows the feed stale (mined) to the alert at the webhook receiver. */
  alertP50Ms: number
  alertP95Ms: number
  alertMaxMs: number
}

/** `n` feeds as protocols deploy them: a proxy in front of a mock aggregator with bounds. */
async function deployFeeds(lab: Lab, n: number): Promise<Address[]> {
  const { contracts: c } = await loadProtocolArtifacts()
  const from = lab.accounts[0]?.address as Address
  let nonce = await lab.public.getTransactionCount({ address: from })
  const feeds: Address[] = []
  let last: Hex | undefined
  for (let i = 0; i < n; i++) {
    const aggregator = getContractAddress({ from, nonce: BigInt(nonce) })
    last = await lab.wallet.sendTransaction({
      account: from,
      chain: null,
      nonce: nonce++,
      gas: 3_000_000n,
      data: encodeDeployData({
        abi: c.LabAggregator.abi,
        bytecode: c.LabAggregator.bytecode,
        args: [8, LAB_PRICE, LAB_BOUNDS.min, LAB_BOUNDS.max],
      }),
    })
    feeds.push(getContractAddress({ from, nonce: BigInt(nonce) }))
    last = await lab.wallet.sendTransaction({
      account: from,
      chain: null,
      nonce: nonce++,
      gas: 3_000_000n,
      data: encodeDeployData({
        abi: c.LabFeedProxy.abi,
        bytecode: c.LabFeedProxy.bytecode,
        args: [aggregator],
      }),
    })
  }
  if (last) await lab.public.waitForTransactionReceipt({ hash: last, pollingInterval: 10 })
  return feeds
}

const feedCheck = (feed: Address, i: number, heartbeat = 86_400, grace = 60) => ({
  id: `feed-${i}`,
  kind: 'chainlink-feed' as const,
  feed,
  heartbeat,
  grace,
})

/** Rounds of `feeds.length` feed checks, one per block, in process (what the watch loop runs). */
async function rounds(lab: Lab, feeds: Address[], proxy: CountingProxy, n: number): Promise<RoundRow> {
  const client = createRpcClient([proxy.url])
  const reader = createBatchReader(client)
  const planned = planChecks(
    { pauses: [] },
    feeds.map((f, i) => checkSchema.parse(feedCheck(f, i))),
  )
  const times: number[] = []
  const requests: number[] = []
  for (let i = 0; i < n; i++) {
    await lab.test.mine({ blocks: 1 })
    const before = proxy.count
    const started = performance.now()
    const block = await client.getBlockNumber({ cacheTime: 0 })
    const r = await runRound(
      { client, reader, simulate: async () => ({ ok: false, gas: 0n, unavailable: 'none' }) },
      planned,
      block,
    )
    times.push(performance.now() - started)
    requests.push(proxy.count - before)
    const broken = [...r.results.values()].filter((x) => !x.ok).length
    if (broken) throw new Error(`bench: ${broken} feed checks broken in a healthy round`)
  }
  return {
    feeds: feeds.length,
    latencyMs: proxy.delayMs,
    rounds: n,
    firstRoundRequests: requests[0] ?? 0,
    requestsPerRound: round(requests.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, n - 1)),
    roundP50Ms: round(percentile(times.slice(1), 50)),
    roundP95Ms: round(percentile(times.slice(1), 95)),
  }
}

/** A webhook receiver that notes when each alert title first arrives. */
async function receiver() {
  const arrived: Array<{ title: string; at: number }> = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      try {
        const j = JSON.parse(body) as { type: string; alert?: { title: string } }
        if (j.type === 'alert' && j.alert) arrived.push({ title: j.alert.title, at: performance.now() })
      } catch {}
      res.writeHead(200)
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}/`, arrived, close: () => new Promise((r) => server.close(r)) }
}

async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v as T
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * `custos run` watching `feeds` (one of them with a 10 s heartbeat and 2 s of grace), the lab
 * mining a block each `blockSeconds`: each sample refreshes that feed, waits for it to go stale,
 * and times its alert from the block that showed it stale.
 */
async function staleLatency(
  lab: Lab,
  feeds: Address[],
  intervalSeconds: number,
  samples: number,
): Promise<StaleRow> {
  const { contracts: c } = await loadProtocolArtifacts()
  const hook = await receiver()
  const dir = mkdtempSync(join(tmpdir(), 'custos-bench-watchdogs-'))
  const port = await freePort()
  const [watched, ...rest] = feeds
  if (!watched) throw new Error('bench: no feeds')
  const HEARTBEAT = 10
  const GRACE = 2
  const config = {
    chains: { [String(lab.chainId)]: { rpc: [lab.rpcUrl] } },
    protocols: [
      {
        name: 'Bench market',
        chainId: lab.chainId,
        address: PROTOCOL,
        checks: [
          { ...feedCheck(watched, 0, HEARTBEAT, GRACE), id: 'stale-feed' },
          ...rest.map((f, i) => feedCheck(f, i + 1)),
        ],
      },
    ],
    sources: { protocols: { intervalSeconds } },
    notify: { console: { enabled: false }, webhooks: [{ name: 'bench', url: hook.url, minLevel: 'info' }] },
    outbox: { pollMs: 50 },
    server: { port },
    dataDir: dir,
    logging: { level: 'warn' },
  }
  const path = join(dir, 'custos.yaml')
  writeFileSync(path, stringify(config))
  const aggregator = (await lab.public.readContract({
    address: watched,
    abi: c.LabFeedProxy.abi,
    functionName: 'aggregator',
  })) as Address
  // A chain with a block every blockSeconds, as a live one: each block notes when it was mined.
  const blocks: Array<{ timestamp: bigint; at: number }> = []
  let mining = true
  const miner = (async () => {
    while (mining) {
      await lab.test.mine({ blocks: 1 })
      const b = await lab.public.getBlock({ blockTag: 'latest' })
      blocks.push({ timestamp: b.timestamp, at: performance.now() })
      await new Promise((r) => setTimeout(r, 1000))
    }
  })()
  const child: ChildProcess = spawn('node', ['bin/custos.js', 'run', '--config', path], {
    cwd: root,
    env: { ...process.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const latencies: number[] = []
  try {
    await until(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 || undefined,
      120_000,
      'the bot',
    )
    for (let i = 0; i < samples; i++) {
      const hash = await lab.wallet.sendTransaction({
        account: lab.accounts[0]?.address as Address,
        chain: null,
        to: aggregator,
        gas: 500_000n,
        data: encodeFunctionData({
          abi: c.LabAggregator.abi,
          functionName: 'updateAnswer',
          args: [LAB_PRICE],
        }),
      })
      const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
      const updated = (await lab.public.getBlock({ blockNumber: receipt.blockNumber })).timestamp
      const seen = hook.arrived.length
      const staleBlock = await until(
        () => blocks.find((b) => b.timestamp > updated + BigInt(HEARTBEAT + GRACE)),
        60_000,
        'the stale block',
      )
      const alert = await until(
        () =>
          hook.arrived
            .slice(seen)
            .find((a) => a.title.includes('check stale-feed') && a.at >= staleBlock.at - 1000),
        60_000,
        'the stale alert',
      )
      latencies.push(alert.at - staleBlock.at)
    }
  } finally {
    mining = false
    await miner
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
    await hook.close()
  }
  return {
    feeds: feeds.length,
    intervalSeconds,
    blockSeconds: 1,
    n: latencies.length,
    alertP50Ms: round(percentile(latencies, 50)),
    alertP95Ms: round(percentile(latencies, 95)),
    alertMaxMs: round(Math.max(...latencies)),
  }
}

export async function watchdogBench(): Promise<{ rounds: RoundRow[]; stale: StaleRow[] }> {
  const feedCount = Number(process.env.BENCH_FEEDS ?? 500)
  const roundCount = Number(process.env.BENCH_ROUNDS ?? 30)
  const samples = Number(process.env.BENCH_STALE_SAMPLES ?? 8)
  const lab = await startLab()
  try {
    await ensureMulticall3(lab)
    const feeds = await deployFeeds(lab, feedCount)
    const out: RoundRow[] = []
    for (const latencyMs of [0, 50]) {
      const proxy = await startProxy(lab.rpcUrl, latencyMs)
      try {
        out.push(await rounds(lab, feeds, proxy, roundCount))
      } finally {
        await proxy.close()
      }
    }
    const stale: StaleRow[] = []
    for (const interval of [1, 2]) stale.push(await staleLatency(lab, feeds, interval, samples))
    return { rounds: out, stale }
  } finally {
    await lab.stop()
  }
}
