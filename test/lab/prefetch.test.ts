import { type Address, encodeFunctionData, type Hex, parseAbi, parseEther, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployGovernance, type GovernanceStack } from '../../src/lab/governance/index.js'
import { type Lab, startLab } from '../../src/lab/index.js'
import { buildWorld, type DemoWorld, demoSteps } from '../../src/lab/scenario.js'
import {
  deployTokens,
  freshAddresses,
  fundTokens,
  multiSendTx,
  transferCalls,
} from '../../src/lab/state-heavy.js'
import type { SafeTx } from '../../src/model/safe.js'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import type { SimulationResult } from '../../src/model/simulation.js'
import { createConfiguredSimulator } from '../../src/pipeline.js'
import type { GovernanceSimInput } from '../../src/simulate/governance.js'
import type { Simulator } from '../../src/simulate/index.js'
import type { SafeSimInput } from '../../src/simulate/safe.js'
import type { RelayStats } from '../../src/simulate/upstream.js'
import { runtime } from '../helpers/build.js'
import { startRpcProxy } from '../helpers/rpc-proxy.js'

// Prefetching changes how the fork gets its state, never what a simulation says: on the lab's
// scenarios, a simulation with prefetch gives exactly the result of one without, also when the
// node cannot trace (access lists stand in), when it has neither method (anvil reads lazily, as
// without prefetching), and when the prefetch misses state (anvil fetches what is missing).

const rt = runtime()
const erc20 = parseAbi(['function transfer(address to, uint256 amount) returns (bool)'])
const safeAbi = parseAbi(['function getOwners() view returns (address[])'])
const timelockAbi = parseAbi(['function updateDelay(uint256 newDelay)'])

let lab: Lab
let world: DemoWorld
let gov: GovernanceStack
let tokens: Address[]
type Scenario = { name: string } & (
  | { kind: 'safe'; input: SafeSimInput }
  | { kind: 'governance'; input: GovernanceSimInput }
)
let scenarios: Scenario[]

beforeAll(async () => {
  lab = await startLab()
  world = await buildWorld(lab)
  gov = await deployGovernance(lab)
  tokens = [lab.token, ...(await deployTokens(lab, 1))]
  await fundTokens(lab, tokens.slice(1), world.safe, 10n ** 14n)
  await fundTokens(lab, tokens, gov.timelock, 10n ** 14n)
  const owners = await lab.public.readContract({
    address: world.safe,
    abi: safeAbi,
    functionName: 'getOwners',
  })
  const safeInput = (tx: SafeTx, expected = true): SafeSimInput => ({
    tx,
    safeTxHash: safeTxHashes('1.4.1', lab.chainId, tx).safeTxHash,
    version: '1.4.1',
    chainId: lab.chainId,
    registry: rt.registry,
    tokens: [],
    candidates: [],
    ...(expected ? { expected: { nonce: 0n, threshold: 2n, owners: [...owners] } } : {}),
  })
  const base = (fields: Partial<SafeTx>): SafeTx => ({
    safe: world.safe,
    to: world.payroll,
    value: 0n,
    data: '0x',
    operation: 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce: 0n,
    ...fields,
  })
  const transfer = (to: Address, amount: bigint): Hex =>
    encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [to, amount] })
  scenarios = [
    ...demoSteps(lab, world).map(
      (step): Scenario => ({ name: step.title, kind: 'safe', input: safeInput(base(step.tx)) }),
    ),
    { name: 'queued behind another nonce', kind: 'safe', input: safeInput(base({ value: 1n, nonce: 3n })) },
    {
      name: 'a transfer that reverts',
      kind: 'safe',
      input: safeInput(base({ to: lab.token, data: transfer(world.attacker, 10n ** 30n) })),
    },
    {
      name: 'without the Safe as the node sees it now',
      kind: 'safe',
      input: safeInput(base({ to: lab.token, data: transfer(world.payroll, 5n) }), false),
    },
    {
      name: 'a MultiSend paying 2 tokens to 30 fresh recipients',
      kind: 'safe',
      input: safeInput(
        multiSendTx(lab, world.safe, transferCalls(tokens, freshAddresses('prefetch', 30), 7n)),
      ),
    },
    {
      name: 'a governance proposal: tokens, ETH and the timelock itself',
      kind: 'governance',
      input: {
        chainId: lab.chainId,
        executor: gov.timelock,
        calls: [
          ...transferCalls([...tokens, gov.token], freshAddresses('proposal', 5), 11n).map((c) => ({
            ...c,
            operation: 'call' as const,
          })),
          { to: world.payroll, value: parseEther('1'), data: '0x', operation: 'call' },
          {
            to: gov.timelock,
            value: 0n,
            data: encodeFunctionData({ abi: timelockAbi, functionName: 'updateDelay', args: [60n] }),
            operation: 'call',
          },
        ],
        registry: rt.registry,
        tokens: [],
      },
    },
  ]
})
afterAll(() => lab?.stop())

/** The result with the numbers as text and without its timings, to compare whole. */
const comparable = (r: SimulationResult) =>
  JSON.parse(
    JSON.stringify(r, (k, v) => (k === 'durationMs' ? undefined : typeof v === 'bigint' ? v.toString() : v)),
  )

const total = (sim: Simulator): RelayStats =>
  sim.forks.relayStats().reduce(
    (a, s) => ({
      reads: a.reads + s.reads,
      hits: a.hits + s.hits,
      prefetches: a.prefetches + s.prefetches,
      failures: a.failures + s.failures,
      fetched: a.fetched + s.fetched,
      learnedBy: {
        trace: a.learnedBy.trace + s.learnedBy.trace,
        accessList: a.learnedBy.accessList + s.learnedBy.accessList,
        none: a.learnedBy.none + s.learnedBy.none,
      },
    }),
    {
      reads: 0,
      hits: 0,
      prefetches: 0,
      failures: 0,
      fetched: 0,
      learnedBy: { trace: 0, accessList: 0, none: 0 },
    },
  )

type Run = { result: SimulationResult; stats: RelayStats; lazyReads: number }

/** One scenario on a fork of `url` started for it (so its state is cold), with its relay's figures. */
async function simulate(s: Scenario, url: string, prefetch: boolean): Promise<Run> {
  const sim = createConfiguredSimulator(rt, { prefetch })
  try {
    await sim.forks.use(lab.chainId, [url], async () => undefined)
    const before = total(sim)
    const result =
      s.kind === 'safe'
        ? await sim.simulateSafe(lab.chainId, [url], s.input)
        : await sim.simulateGovernance(lab.chainId, [url], s.input)
    const stats = total(sim)
    const reads = stats.reads - before.reads
    return { result, stats, lazyReads: reads - (stats.hits - before.hits) }
  } finally {
    await sim.close()
  }
}

/** Each scenario without prefetching and through `url` with it: the same result every time. */
async function sameResults(url: string): Promise<Run[]> {
  const runs: Run[] = []
  for (const s of scenarios) {
    const lazy = await simulate(s, lab.rpcUrl, false)
    const fetched = await simulate(s, url, true)
    expect(lazy.result.ok, s.name).toBe(true)
    expect(comparable(fetched.result), s.name).toEqual(comparable(lazy.result))
    runs.push(fetched)
  }
  return runs
}

describe('prefetching state for simulations on a fork', () => {
  it('gives exactly the result of anvil reading lazily, for every lab scenario', {
    timeout: 180_000,
  }, async () => {
    const runs = await sameResults(lab.rpcUrl)
    for (const r of runs) {
      expect(r.stats.learnedBy.trace).toBeGreaterThan(0)
      expect(r.stats.learnedBy.accessList).toBe(0)
    }
    // The MultiSend to 30 fresh recipients, and the proposal that also calls back into its
    // executor: every read anvil made came from one prefetch.
    const heavy = runs[scenarios.findIndex((s) => s.name.startsWith('a MultiSend'))] as Run
    const proposal = runs[scenarios.findIndex((s) => s.kind === 'governance')] as Run
    for (const r of [heavy, proposal]) {
      expect(r.stats.prefetches).toBe(1)
      expect(r.lazyReads).toBe(0)
      expect(r.stats.hits).toBeGreaterThan(20)
    }
  })

  it("fetches a token's symbol and decimals with the simulation's own state", {
    timeout: 60_000,
  }, async () => {
    // A token no simulation in this process has looked up yet.
    const [token] = (await deployTokens(lab, 1)) as [Address]
    await fundTokens(lab, [token], world.safe, 10n ** 14n)
    const s = scenarios[0] as Extract<Scenario, { kind: 'safe' }>
    const tx: SafeTx = multiSendTx(
      lab,
      world.safe,
      transferCalls([token], freshAddresses('new-token', 3), 5n),
    )
    const input = { ...s.input, tx, safeTxHash: safeTxHashes('1.4.1', lab.chainId, tx).safeTxHash }
    const fetched = await simulate({ ...s, input }, lab.rpcUrl, true)
    expect(fetched.result.ok && fetched.result.simulation.assetChanges[0]).toMatchObject({
      symbol: 'TT',
      decimals: 18,
    })
    expect(fetched.stats.prefetches).toBe(1)
    expect(fetched.lazyReads).toBe(0)
  })

  it('learns from access lists on a node without debug_traceCall, same results', {
    timeout: 180_000,
  }, async () => {
    const node = await startRpcProxy(lab.rpcUrl, { refuse: ['debug_traceCall'] })
    try {
      const runs = await sameResults(node.url)
      for (const r of runs)
        expect(r.stats.learnedBy).toMatchObject({ trace: 0, accessList: expect.any(Number) })
      expect(runs.some((r) => r.stats.learnedBy.accessList > 0)).toBe(true)
      expect(node.methods.get('eth_createAccessList')).toBeGreaterThan(0)
    } finally {
      await node.close()
    }
  })

  it('reads lazily, as without prefetching, on a node with neither method, same results', {
    timeout: 180_000,
  }, async () => {
    const node = await startRpcProxy(lab.rpcUrl, { refuse: ['debug_traceCall', 'eth_createAccessList'] })
    try {
      const runs = await sameResults(node.url)
      for (const r of runs) expect(r.stats.learnedBy).toMatchObject({ trace: 0, accessList: 0 })
      expect(runs.some((r) => r.stats.learnedBy.none > 0 && r.lazyReads > 0)).toBe(true)
    } finally {
      await node.close()
    }
  })

  it('fetches what the prefetch missed as anvil would, same results', { timeout: 180_000 }, async () => {
    // A node whose prestate traces leave out every other account and slot.
    const half = <T>(entries: T[]) => entries.filter((_, i) => i % 2 === 0)
    const node = await startRpcProxy(lab.rpcUrl, {
      alter: (call, result) =>
        call.method === 'debug_traceCall' && typeof result === 'object' && result !== null
          ? Object.fromEntries(
              half(Object.entries(result as Record<string, { storage?: Record<string, string> }>)).map(
                ([a, acc]) => [
                  a,
                  { ...acc, storage: Object.fromEntries(half(Object.entries(acc.storage ?? {}))) },
                ],
              ),
            )
          : result,
    })
    try {
      const runs = await sameResults(node.url)
      expect(runs.every((r) => r.stats.learnedBy.trace > 0)).toBe(true)
      expect(runs.some((r) => r.lazyReads > 0)).toBe(true)
    } finally {
      await node.close()
    }
  })
})

describe('moving the fork to a newer block', () => {
  it('fetches the state still needed in one batch, and the simulation sees the new state', {
    timeout: 60_000,
  }, async () => {
    const sims = {
      fetched: createConfiguredSimulator(rt),
      lazy: createConfiguredSimulator(rt, { prefetch: false }),
    }
    try {
      const fresh = freshAddresses('moved', 3)
      const balance = 10n ** 14n
      const owners = await lab.public.readContract({
        address: world.safe,
        abi: safeAbi,
        functionName: 'getOwners',
      })
      const input = (amount: bigint): SafeSimInput => {
        const tx = multiSendTx(lab, world.safe, transferCalls([tokens[1] as Address], fresh, amount))
        return {
          tx,
          safeTxHash: safeTxHashes('1.4.1', lab.chainId, tx).safeTxHash,
          version: '1.4.1',
          chainId: lab.chainId,
          registry: rt.registry,
          tokens: [],
          candidates: [],
          expected: { nonce: 0n, threshold: 2n, owners: [...owners] },
        }
      }
      // Warm on the Safe and the token, then the chain moves: the Safe receives more of it.
      for (const sim of Object.values(sims)) await sim.simulateSafe(lab.chainId, [lab.rpcUrl], input(1n))
      await fundTokens(lab, [tokens[1] as Address], world.safe, balance)
      const results: Record<string, SimulationResult> = {}
      for (const [name, sim] of Object.entries(sims)) {
        await sim.forks.use(lab.chainId, [lab.rpcUrl], async () => undefined, true)
        const before = total(sim)
        // More than the Safe held before the move (3 x 0.5), less than it holds after (2).
        results[name] = await sim.simulateSafe(lab.chainId, [lab.rpcUrl], input(balance / 2n))
        const after = total(sim)
        if (name === 'fetched') {
          expect(after.reads - before.reads).toBeGreaterThan(0)
          expect(after.reads - before.reads - (after.hits - before.hits)).toBe(0)
          expect(after.prefetches - before.prefetches).toBe(0)
        }
      }
      const fetched = results.fetched as SimulationResult
      expect(fetched.ok && fetched.simulation.success).toBe(true)
      expect(comparable(fetched)).toEqual(comparable(results.lazy as SimulationResult))
    } finally {
      await Promise.all(Object.values(sims).map((s) => s.close()))
    }
  })
})
