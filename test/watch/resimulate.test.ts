import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData, getAddress, parseEther } from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  deployGovernance,
  type GovernanceStack,
  govTokenAbi,
  passOz,
  proposeOz,
  queueOz,
} from '../../src/lab/governance/index.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// Pending governance proposals are simulated again on a schedule: every `resimulateSeconds`,
// and every `intervalSeconds` once their ETA is within `etaWindowSeconds`. Here the treasury's
// balance grows all the time, so every simulation run gives a new verdict (its share of the
// treasury changes) and is stored: the reports' times are the schedule.

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const transfer = (to: `0x${string}`, amount: bigint) =>
  encodeFunctionData({ abi: govTokenAbi, functionName: 'transfer', args: [to, amount] })

let world: World
let gov: GovernanceStack
let bot: Awaited<ReturnType<typeof startBot>> | undefined
let stopFunding: (() => Promise<void>) | undefined
beforeAll(async () => {
  world = await startWorld()
  gov = await deployGovernance(world.lab, { minDelay: 600 })
})
// Stopping waits for a simulation in flight, which a loaded machine makes slow.
afterEach(async () => {
  await stopFunding?.()
  await bot?.stop()
  bot = undefined
}, 60_000)
afterAll(() => world?.stop())

const watch = (governance: Record<string, number>) =>
  startBot(world, {
    dataDir: mkdtempSync(join(tmpdir(), 'custos-resim-')),
    safes: [],
    governors: [{ address: gov.governor, chainId: world.lab.chainId, name: 'Lab DAO' }],
    // The creation block leaves the re-read window at the next block (the funding mines them).
    sources: { governance: { intervalSeconds: 1, ...governance }, chainEvents: { reorgWindow: 1 } },
  })

/** Sends the timelock one token every 300 ms (a block each) until stopped. */
function fundTreasury() {
  let on = true
  const loop = (async () => {
    while (on) {
      const hash = await world.lab.wallet.writeContract({
        account: gov.voter,
        chain: null,
        address: gov.token,
        abi: govTokenAbi,
        functionName: 'transfer',
        args: [gov.timelock, parseEther('1')],
      })
      await world.lab.public.waitForTransactionReceipt({ hash })
      await new Promise((r) => setTimeout(r, 300))
    }
  })()
  stopFunding = async () => {
    on = false
    await loop
    stopFunding = undefined
  }
}

async function drain(description: string) {
  const balance = await world.lab.public.readContract({
    address: gov.token,
    abi: govTokenAbi,
    functionName: 'balanceOf',
    args: [gov.timelock],
  })
  const proposal = {
    targets: [gov.token],
    values: [0n],
    calldatas: [transfer(ATTACKER, balance / 2n)],
    description,
  }
  const p = await proposeOz(world.lab, gov, proposal)
  return { proposal, p, id: `${world.lab.chainId}:governor:${gov.governor.toLowerCase()}:${p.proposalId}` }
}

/** When each report on `id` was stored (ms), oldest first. */
const reportTimes = async (id: string) =>
  (await (bot as NonNullable<typeof bot>).store.auditLog(10_000))
    .filter((a) => a.action === 'report' && a.subject === id)
    .map((a) => a.at)
    .sort((a, b) => a - b)
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number))

describe('the governance re-simulation schedule', () => {
  it('simulates a pending proposal again every resimulateSeconds, not at every scan', {
    timeout: 120_000,
  }, async () => {
    bot = await watch({ resimulateSeconds: 2, etaWindowSeconds: 0 })
    const { id } = await drain('Diversify: half the treasury')
    await eventually(
      async () => ((await reportTimes(id)).length ? true : undefined),
      60_000,
      'the first report',
    )
    fundTreasury()
    const times = await eventually(
      async () => {
        const t = await reportTimes(id)
        return t.length >= 4 ? t : undefined
      },
      60_000,
      'three more reports',
    )
    // Past the second (the creation event is read again while its block is in the re-read
    // window), each run waited for resimulateSeconds; scans came every 250 ms all along.
    for (const gap of gaps(times.slice(1))) expect(gap).toBeGreaterThanOrEqual(1800)
  })

  it('simulates it at every interval once its ETA is within etaWindowSeconds', {
    timeout: 150_000,
  }, async () => {
    // Once an hour otherwise: only the ETA window can explain a run every few seconds.
    bot = await watch({ resimulateSeconds: 3600, etaWindowSeconds: 1_000_000 })
    const { id, proposal, p } = await drain('Diversify: half the treasury, again')
    await eventually(
      async () => ((await reportTimes(id)).length ? true : undefined),
      60_000,
      'the first report',
    )
    await passOz(world.lab, gov, p.proposalId)
    await queueOz(world.lab, gov, proposal)
    await eventually(
      async () => {
        const r = await bot?.store.latestReport(id)
        return (r?.json as { governance?: { eta?: string } } | undefined)?.governance?.eta ? true : undefined
      },
      60_000,
      'the report with its ETA',
    )
    const queued = (await reportTimes(id)).length
    fundTreasury()
    const times = await eventually(
      async () => {
        const t = await reportTimes(id)
        return t.length >= queued + 3 ? t : undefined
      },
      60_000,
      'three more reports',
    )
    // intervalSeconds (1 s) apart: neither every 250 ms scan nor once an hour.
    for (const gap of gaps(times.slice(-3))) expect(gap).toBeGreaterThanOrEqual(900)
  })
})
