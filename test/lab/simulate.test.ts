import { execFileSync } from 'node:child_process'
import { type Address, encodeFunctionData, getAddress, type Hex, parseAbi, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER, THRESHOLD_TO_ONE } from '../../src/lab/contracts.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import type { Report } from '../../src/model/report.js'
import type { Simulation } from '../../src/model/simulation.js'
import { createConfiguredSimulator, inspectSafeTransaction } from '../../src/pipeline.js'
import type { Simulator } from '../../src/simulate/index.js'
import { createRpcClient } from '../../src/sources/rpc.js'
import { codesOf, runtime, safeTx } from '../helpers/build.js'

const erc20 = parseAbi(['function transfer(address to, uint256 amount) returns (bool)'])
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const LOWERER = getAddress('0x1111111111111111111111111111111111111234')

let lab: Lab
let safe: Address
let owners: LabAccount[]
let simulator: Simulator
const rt = runtime()

beforeAll(async () => {
  lab = await startLab()
  owners = lab.accounts.slice(1, 4)
  safe = await lab.createSafe({ owners: owners.map((o) => o.address), threshold: 2, fund: parseEther('10') })
  const hash = await lab.wallet.writeContract({
    account: lab.accounts[0]?.address as Address,
    chain: null,
    address: lab.token,
    abi: erc20,
    functionName: 'transfer',
    args: [safe, 10n ** 12n],
  })
  await lab.public.waitForTransactionReceipt({ hash })
  await lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
  await lab.test.setCode({ address: LOWERER, bytecode: THRESHOLD_TO_ONE })
  simulator = createConfiguredSimulator(rt)
})
afterAll(async () => {
  await simulator?.close()
  await lab?.stop()
})

const inspect = (
  fields: Parameters<typeof safeTx>[0],
  sim: Simulator = simulator,
  upstreams = [lab.rpcUrl],
): Promise<Report> =>
  inspectSafeTransaction(rt, {
    source: { tx: safeTx({ safe, ...fields }), confirmations: [] },
    client: createRpcClient([lab.rpcUrl]),
    simulate: { simulator: sim, upstreams },
  })
const simOf = (r: Report): Simulation => {
  if (!r.simulation?.ok) throw new Error(`no simulation: ${JSON.stringify(r.simulation)}`)
  return r.simulation.simulation
}
const transfer = (to: Address, amount: bigint): Hex =>
  encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [to, amount] })

describe('simulating Safe transactions on a fork of the lab', () => {
  it('Bybit: a DELEGATECALLed "transfer" that rewrites slot 0 is critical, with the singleton change shown', async () => {
    const r = await inspect({ to: MALICIOUS, operation: 1, data: transfer(ATTACKER, 0n) })
    const sim = simOf(r)
    expect(sim.success).toBe(true)
    expect(sim.logs.filter((l) => l.event?.signature.startsWith('ChangedMasterCopy'))).toEqual([])
    expect(sim.safeChanges.find((c) => c.field === 'singleton')).toEqual({
      field: 'singleton',
      before: lab.contracts.safe,
      after: ATTACKER,
    })
    expect(codesOf(r, 'safe-state-change')).toEqual(['safe-state-change/singleton-changed:critical'])
    expect(r.risk.level).toBe('critical')
  })

  it('UXLINK-style: a DELEGATECALL that lowers the threshold is caught by the storage diff alone', async () => {
    const r = await inspect({ to: LOWERER, operation: 1, data: '0xa9059cbb' })
    const sim = simOf(r)
    expect(sim.logs.map((l) => l.event?.signature.split('(')[0])).not.toContain('ChangedThreshold')
    expect(sim.safeChanges.filter((c) => c.field === 'threshold')).toEqual([
      { field: 'threshold', before: 2n, after: 1n },
    ])
    expect(codesOf(r, 'safe-state-change')).toEqual(['safe-state-change/threshold-below-minimum:critical'])
  })

  it('shows the exact ERC20 movement of a token transfer', async () => {
    const sim = simOf(await inspect({ to: lab.token, data: transfer(ATTACKER, 12345n) }))
    expect(sim.success).toBe(true)
    expect(sim.assetChanges).toEqual([
      {
        standard: 'erc20',
        token: lab.token,
        from: safe,
        to: ATTACKER,
        amount: 12345n,
        symbol: 'TT',
        decimals: 18,
      },
    ])
  })

  it('shows the exact ETH movement of a transfer', async () => {
    const r = await inspect({ to: ATTACKER, value: parseEther('1.5') })
    expect(simOf(r).assetChanges).toEqual([
      {
        standard: 'native',
        token: null,
        from: safe,
        to: ATTACKER,
        amount: parseEther('1.5'),
        symbol: 'ETH',
        decimals: 18,
      },
    ])
    // 1.5 of the 10 ETH the Safe held: 15 %, at or above the 10 % high share.
    expect(codesOf(r, 'asset-outflow')).toEqual([
      'asset-outflow/outflow-share:high',
      'asset-outflow/new-recipient:medium',
    ])
  })

  it('simulates a transaction queued behind another nonce', async () => {
    const sim = simOf(await inspect({ to: ATTACKER, value: 1n, nonce: 3n }))
    expect(sim.success).toBe(true)
    expect(sim.nonce).toEqual({ onChain: 0n, tx: 3n, overridden: true, stale: false })
    expect(sim.safeChanges.find((c) => c.field === 'nonce')).toEqual({
      field: 'nonce',
      before: 3n,
      after: 4n,
    })
  })

  it('reports why a reverting transaction reverts', async () => {
    const r = await inspect({ to: lab.token, data: transfer(ATTACKER, 10n ** 30n) })
    const sim = simOf(r)
    expect(sim.success).toBe(false)
    expect(sim.revertReason).toMatch(
      /^GS013: the Safe transaction failed and gasPrice and safeTxGas were 0; inner call reverted: ERC20: transfer amount exceeds balance/,
    )
    expect(codesOf(r, 'simulation-failed')).toEqual(['simulation-failed/would-revert:medium'])
  })

  it('reports a dead RPC as simulation-unavailable, never as a pass', async () => {
    const dead = createConfiguredSimulator(
      runtime({ simulation: { timeoutMs: 5000, requestTimeoutMs: 2000 } }),
    )
    try {
      const r = await inspect({ to: ATTACKER, value: 1n }, dead, ['http://127.0.0.1:1'])
      expect(r.simulation?.ok).toBe(false)
      expect(codesOf(r, 'simulation-unavailable')).toEqual([
        'simulation-unavailable/simulation-unavailable:high',
      ])
      expect(r.risk.level).toBe('high')
    } finally {
      await dead.close()
    }
  })

  it('leaves no anvil behind when a simulation times out and the simulator closes', async () => {
    const children = () =>
      execFileSync('sh', ['-c', `pgrep -P ${process.pid} -f anvil || true`], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
    const before = children().length
    const hasty = createConfiguredSimulator(runtime({ simulation: { timeoutMs: 30 } }))
    const r = await inspect({ to: ATTACKER, value: 1n }, hasty)
    expect(r.simulation).toEqual({ ok: false, error: 'simulation timed out after 30 ms' })
    await hasty.close()
    expect(children().length).toBe(before)
  })

  it('gives the same result in direct mode (the RPC traces the call itself)', async () => {
    const direct = createConfiguredSimulator(rt, { mode: 'direct' })
    const fields = { to: MALICIOUS, operation: 1 as const, data: transfer(ATTACKER, 0n) }
    const [a, b] = [simOf(await inspect(fields)), simOf(await inspect(fields, direct))]
    expect(b.mode).toBe('direct')
    expect(b.safeChanges).toEqual(a.safeChanges)
    expect(b.storageDiff).toEqual(a.storageDiff)
    await direct.close()
  })

  it('reuses one warm fork for many simulations', async () => {
    const before = simulator.forks.stats().starts
    for (let i = 0; i < 3; i++) await inspect({ to: ATTACKER, value: BigInt(i + 1) })
    expect(simulator.forks.stats().starts).toBe(before)
    expect(simulator.forks.stats().forks).toBe(1)
  })

  it('moves the fork forward when the chain has moved for this Safe', async () => {
    const kit = await lab.kit(safe, owners[0] as LabAccount)
    let tx = await kit.createTransaction({ transactions: [{ to: ATTACKER, value: '1', data: '0x' }] })
    tx = await (await lab.kit(safe, owners[1] as LabAccount)).signTransaction(await kit.signTransaction(tx))
    await lab.public.waitForTransactionReceipt({ hash: (await kit.executeTransaction(tx)).hash as Hex })
    const resets = simulator.forks.stats().resets
    const sim = simOf(await inspect({ to: ATTACKER, value: 2n, nonce: 1n }))
    expect(sim.nonce).toEqual({ onChain: 1n, tx: 1n, overridden: false, stale: false })
    expect(simulator.forks.stats().resets).toBe(resets + 1)
  })

  it('recycles a fork past its lifetime', async () => {
    const short = createConfiguredSimulator(runtime({ simulation: { fork: { maxLifetimeSeconds: 1 } } }))
    try {
      await inspect({ to: ATTACKER, value: 1n, nonce: 1n }, short)
      await new Promise((r) => setTimeout(r, 1100))
      expect(simOf(await inspect({ to: ATTACKER, value: 1n, nonce: 1n }, short)).success).toBe(true)
      expect(short.forks.stats()).toMatchObject({ starts: 2, recycles: 1, forks: 1 })
    } finally {
      await short.close()
    }
  })

  it('recycles a fork past its memory bound', async () => {
    const small = createConfiguredSimulator(runtime({ simulation: { fork: { maxRssMb: 1 } } }))
    try {
      await inspect({ to: ATTACKER, value: 1n, nonce: 1n }, small)
      expect(simOf(await inspect({ to: ATTACKER, value: 1n, nonce: 1n }, small)).success).toBe(true)
      expect(small.forks.stats()).toMatchObject({ starts: 2, recycles: 1 })
    } finally {
      await small.close()
    }
  })

  it('restarts a fork that died', async () => {
    // Dead, and seen dead: the exit has reached this process.
    await Promise.all(
      simulator.forks.processes().map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve()
            p.once('exit', () => resolve())
            p.kill('SIGKILL')
          }),
      ),
    )
    const sim = simOf(await inspect({ to: ATTACKER, value: 1n }))
    expect(sim.success).toBe(true)
    expect(simulator.forks.stats().restartsAfterDeath).toBe(1)
  })
})
