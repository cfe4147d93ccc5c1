import { encodeFunctionData, getAddress, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  deployGovernance,
  executeOz,
  type GovernanceStack,
  govTokenAbi,
  passOz,
  proposeOz,
  queueOz,
} from '../../src/lab/governance/index.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// `custos run` watching a governor on the lab: a proposal is judged within seconds of its
// ProposalCreated, alerted once, judged again when queued, and closed when executed.

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const transfer = (to: `0x${string}`, amount: bigint) =>
  encodeFunctionData({ abi: govTokenAbi, functionName: 'transfer', args: [to, amount] })

let world: World
let gov: GovernanceStack
let bot: Awaited<ReturnType<typeof startBot>>

beforeAll(async () => {
  world = await startWorld()
  gov = await deployGovernance(world.lab, { minDelay: 60 })
  bot = await startBot(world, {
    safes: [],
    governors: [{ address: gov.governor, chainId: world.lab.chainId, name: 'Lab DAO' }],
    sources: { governance: { intervalSeconds: 1 }, chainEvents: { reorgWindow: 4 } },
  })
})
afterAll(async () => {
  await bot?.stop()
  await world?.stop()
})

describe('the watch loop on a governor', () => {
  it('alerts a treasury drain within seconds, once, and closes it when it executes', async () => {
    const balance = await world.lab.public.readContract({
      address: gov.token,
      abi: govTokenAbi,
      functionName: 'balanceOf',
      args: [gov.timelock],
    })
    const proposal = {
      targets: [gov.token],
      values: [0n],
      calldatas: [transfer(ATTACKER, (balance * 95n) / 100n)],
      description: 'Treasury diversification',
    }
    const p = await proposeOz(world.lab, gov, proposal)
    const id = `${world.lab.chainId}:governor:${gov.governor.toLowerCase()}:${p.proposalId}`
    const alerts = () => world.receiver.accepted().filter((r) => r.json.alert.dedupKey.startsWith(id))
    const [alert] = await eventually(() => (alerts().length ? alerts() : undefined), 20_000, 'the alert')
    expect(alert?.json.alert).toMatchObject({
      level: 'critical',
      title: `CRITICAL · Lab DAO · proposal ${p.proposalId}`,
    })
    expect((await bot.store.getProposal(id))?.status).toBe('pending')

    await passOz(world.lab, gov, p.proposalId)
    await queueOz(world.lab, gov, proposal)
    // Queued: judged again with its ETA; the same verdict is not alerted twice.
    await eventually(
      async () => {
        const r = await bot.store.latestReport(id)
        return (r?.json as { governance?: { eta?: string } } | undefined)?.governance?.eta ? r : undefined
      },
      20_000,
      'the report after queueing',
    )
    expect(alerts()).toHaveLength(1)

    await executeOz(world.lab, gov, proposal)
    await eventually(
      async () => ((await bot.store.getProposal(id))?.status === 'executed' ? true : undefined),
      20_000,
      'executed',
    )
    expect((await bot.store.auditLog(50)).some((a) => a.action === 'executed' && a.subject === id)).toBe(true)
  })

  it('judges a proposal once while the reorg window re-reads its creation on each scan', async () => {
    const simulator = bot.watcher.ctx.simulator
    const original = simulator.simulateGovernance
    const simulated: bigint[] = []
    simulator.simulateGovernance = (chainId, upstreams, input) => {
      simulated.push(input.minBlock ?? -1n)
      return original(chainId, upstreams, input)
    }
    try {
      const p = await proposeOz(world.lab, gov, {
        targets: [gov.token],
        values: [0n],
        calldatas: [transfer(gov.voter, parseEther('1'))],
        description: 'Refund the voter, again',
      })
      const id = `${world.lab.chainId}:governor:${gov.governor.toLowerCase()}:${p.proposalId}`
      await eventually(async () => bot.store.latestReport(id), 20_000, 'the report')
      // Two more blocks: the next scans read from 4 blocks back, the proposal's block included.
      await world.lab.test.mine({ blocks: 2 })
      await eventually(
        async () => {
          const cursor = await bot.store.getCursor('governance-events', world.lab.chainId)
          return cursor !== undefined && BigInt(cursor) >= p.blockNumber + 2n ? true : undefined
        },
        20_000,
        'a scan past the proposal',
      )
      expect(simulated.filter((b) => b === p.blockNumber)).toHaveLength(1)
    } finally {
      simulator.simulateGovernance = original
    }
  })

  it('reports a benign grant without a high finding', async () => {
    const p = await proposeOz(world.lab, gov, {
      targets: [gov.token],
      values: [0n],
      calldatas: [transfer(gov.voter, parseEther('10'))],
      description: 'Refund the voter',
    })
    const id = `${world.lab.chainId}:governor:${gov.governor.toLowerCase()}:${p.proposalId}`
    const report = await eventually(async () => bot.store.latestReport(id), 20_000, 'the report')
    expect(['none', 'info', 'low', 'medium']).toContain(report.level)
  })

  it('reports an operation scheduled and executed while custos was away as already executed, once', async () => {
    await bot.stop()
    const timelocks = [{ address: gov.timelock, chainId: world.lab.chainId, name: 'Lab timelock' }]
    // Every scan re-reads all of it: a later scan sees the creation event again.
    const watch = {
      safes: [],
      timelocks,
      sources: { governance: { intervalSeconds: 1 }, chainEvents: { reorgWindow: 1000 } },
    }
    let away = await startBot(world, watch)
    await eventually(
      async () => (await away.store.getCursor('governance-events', world.lab.chainId)) ?? undefined,
      20_000,
      'a first scan',
    )
    await away.stop()

    const proposal = {
      targets: [gov.token],
      values: [0n],
      calldatas: [transfer(ATTACKER, parseEther('1'))],
      description: 'Pay the contractor while nobody watches',
    }
    const p = await proposeOz(world.lab, gov, proposal)
    await passOz(world.lab, gov, p.proposalId)
    const { operationId } = await queueOz(world.lab, gov, proposal)
    await executeOz(world.lab, gov, proposal)

    away = await startBot(world, watch)
    try {
      const id = `${world.lab.chainId}:timelock:${gov.timelock.toLowerCase()}:${operationId}`
      const alerts = () => world.receiver.accepted().filter((r) => r.json.alert.dedupKey.startsWith(id))
      await eventually(
        async () => ((await away.store.getProposal(id))?.status === 'executed' ? true : undefined),
        20_000,
        'stored executed',
      )
      const [alert] = await eventually(() => (alerts().length ? alerts() : undefined), 20_000, 'the alert')
      expect(alert?.json.alert.title).toMatch(
        /^[A-Z]+ · Lab timelock · operation 0x[0-9a-f]{8}… · already executed \(0x[0-9a-f]{64}\)$/,
      )
      expect(await away.store.getEscalation(id)).toBeUndefined()
      // Two more scans re-read its creation: not news again, not even judged again.
      const scanned = async () =>
        (await away.store.cursors()).find((c) => c.source === 'governance-events')?.updatedAt ?? 0
      const mark = await scanned()
      await eventually(async () => ((await scanned()) > mark ? true : undefined), 20_000, 'a later scan')
      const mark2 = await scanned()
      await eventually(async () => ((await scanned()) > mark2 ? true : undefined), 20_000, 'another scan')
      expect(alerts()).toHaveLength(1)
      expect(
        (await away.store.auditLog(200)).filter((a) => a.action === 'report' && a.subject === id),
      ).toHaveLength(1)
    } finally {
      await away.stop()
    }
  })
})
