import { encodeFunctionData, getAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  deployGovernance,
  type GovernanceStack,
  governorAbi,
  govTokenAbi,
  type OzProposal,
  passOz,
  proposeOz,
  queueOz,
  timelockAbi,
} from '../../src/lab/governance/index.js'
import type { LabAccount } from '../../src/lab/index.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// Acting on governance, end to end on the lab: a critical proposal is cancelled by custos's
// guardian key through the governor's proposal guardian, and a critical operation queued in the
// timelock through its canceller role.

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
let world: World
let gov: GovernanceStack
let guardian: LabAccount

beforeAll(async () => {
  world = await startWorld()
  guardian = world.lab.accounts[8] as LabAccount
  gov = await deployGovernance(world.lab, { guardian: guardian.address, minDelay: 60 })
})
afterAll(() => world?.stop())

const drain = async (description: string): Promise<OzProposal> => {
  const balance = await world.lab.public.readContract({
    address: gov.token,
    abi: govTokenAbi,
    functionName: 'balanceOf',
    args: [gov.timelock],
  })
  return {
    targets: [gov.token],
    values: [0n],
    calldatas: [
      encodeFunctionData({ abi: govTokenAbi, functionName: 'transfer', args: [ATTACKER, balance] }),
    ],
    description,
  }
}
const veto = { enabled: true, dryRun: false, keyEnv: 'CUSTOS_VETO_KEY' }
const env = () => ({ CUSTOS_VETO_KEY: guardian.privateKey })

describe('automatic vetoes of governance', () => {
  it('cancels a critical proposal through the proposal guardian', async () => {
    const bot = await startBot(
      world,
      {
        safes: [],
        governors: [{ address: gov.governor, chainId: world.lab.chainId, name: 'Lab DAO' }],
        policy: { vetoAt: 'critical' },
        veto,
        sources: { governance: { intervalSeconds: 1 } },
      },
      undefined,
      env(),
    )
    try {
      const p = await proposeOz(world.lab, gov, await drain('Move the treasury'))
      const id = `${world.lab.chainId}:governor:${gov.governor.toLowerCase()}:${p.proposalId}`
      const done = await eventually(
        async () =>
          (await bot.store.auditLog(100)).find((a) => a.action.startsWith('veto-') && a.subject === id),
        30_000,
        'the veto',
      )
      expect(done.action, JSON.stringify(done.details)).toBe('veto-sent')
      const state = await world.lab.public.readContract({
        address: gov.governor,
        abi: governorAbi,
        functionName: 'state',
        args: [p.proposalId],
      })
      expect(state).toBe(2) // Canceled
    } finally {
      await bot.stop()
    }
  })

  it('cancels a critical operation queued in the timelock through the canceller role', async () => {
    const bot = await startBot(
      world,
      {
        safes: [],
        timelocks: [{ address: gov.timelock, chainId: world.lab.chainId, name: 'Lab timelock' }],
        policy: { vetoAt: 'critical' },
        veto,
        sources: { governance: { intervalSeconds: 1 } },
      },
      undefined,
      env(),
    )
    try {
      const proposal = await drain('Move the treasury, again')
      const p = await proposeOz(world.lab, gov, proposal)
      await passOz(world.lab, gov, p.proposalId)
      const queued = await queueOz(world.lab, gov, proposal)
      const id = `${world.lab.chainId}:timelock:${gov.timelock.toLowerCase()}:${queued.operationId}`
      const done = await eventually(
        async () =>
          (await bot.store.auditLog(100)).find((a) => a.action.startsWith('veto-') && a.subject === id),
        30_000,
        'the veto',
      )
      expect(done.action, JSON.stringify(done.details)).toBe('veto-sent')
      const pending = await world.lab.public.readContract({
        address: gov.timelock,
        abi: timelockAbi,
        functionName: 'isOperationPending',
        args: [queued.operationId],
      })
      expect(pending).toBe(false)
    } finally {
      await bot.stop()
    }
  })
})
