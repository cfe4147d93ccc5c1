import { type Address, type Hash, type Hex, keccak256, parseEventLogs, toHex } from 'viem'
import type { Lab } from '../index.js'
import { governorAbi, ProposalState, timelockAbi } from './abis.js'
import { mined, mineUntil, warpTo } from './chain.js'
import type { GovernanceStack } from './types.js'

/** What OZ's Governor takes: the calls and the description, whose hash identifies the proposal. */
export type OzProposal = { targets: Address[]; values: bigint[]; calldatas: Hex[]; description: string }

type OzStack = Pick<GovernanceStack, 'governor' | 'timelock' | 'voter'>

const asArgs = (p: OzProposal) => [p.targets, p.values, p.calldatas, keccak256(toHex(p.description))] as const

/** Proposes from the voter (or `proposer`); the id comes from the ProposalCreated event. */
export async function proposeOz(
  lab: Lab,
  stack: OzStack,
  p: OzProposal,
  opts: { proposer?: Address } = {},
): Promise<{ proposalId: bigint; descriptionHash: Hash; txHash: Hash; blockNumber: bigint }> {
  const r = await mined(
    lab,
    lab.wallet.writeContract({
      account: opts.proposer ?? stack.voter,
      chain: null,
      address: stack.governor,
      abi: governorAbi,
      functionName: 'propose',
      args: [p.targets, p.values, p.calldatas, p.description],
    }),
    'propose',
  )
  const [created] = parseEventLogs({ abi: governorAbi, eventName: 'ProposalCreated', logs: r.logs })
  if (!created) throw new Error('lab: propose emitted no ProposalCreated')
  return {
    proposalId: created.args.proposalId,
    descriptionHash: keccak256(toHex(p.description)),
    txHash: r.transactionHash,
    blockNumber: r.blockNumber,
  }
}

/** Mines into the voting window, votes For with the voter, mines past the deadline; checks Succeeded. */
export async function passOz(lab: Lab, stack: OzStack, proposalId: bigint): Promise<void> {
  const read = (functionName: 'proposalSnapshot' | 'proposalDeadline') =>
    lab.public.readContract({ address: stack.governor, abi: governorAbi, functionName, args: [proposalId] })
  await mineUntil(lab, (await read('proposalSnapshot')) + 1n)
  await mined(
    lab,
    lab.wallet.writeContract({
      account: stack.voter,
      chain: null,
      address: stack.governor,
      abi: governorAbi,
      functionName: 'castVote',
      args: [proposalId, 1],
    }),
    'castVote',
  )
  await mineUntil(lab, (await read('proposalDeadline')) + 1n)
  const state = await lab.public.readContract({
    address: stack.governor,
    abi: governorAbi,
    functionName: 'state',
    args: [proposalId],
  })
  if (state !== ProposalState.Succeeded)
    throw new Error(`lab: OZ proposal ${proposalId} ended in state ${state}`)
}

/** Queues in the TimelockController; returns its operation id (from CallScheduled) and the ETA. */
export async function queueOz(
  lab: Lab,
  stack: OzStack,
  p: OzProposal,
): Promise<{ txHash: Hash; operationId: Hash; eta: bigint }> {
  const r = await mined(
    lab,
    lab.wallet.writeContract({
      account: stack.voter,
      chain: null,
      address: stack.governor,
      abi: governorAbi,
      functionName: 'queue',
      args: asArgs(p),
    }),
    'queue',
  )
  const scheduled = parseEventLogs({ abi: timelockAbi, eventName: 'CallScheduled', logs: r.logs }).find(
    (l) => l.address.toLowerCase() === stack.timelock.toLowerCase(),
  )
  if (!scheduled) throw new Error('lab: queue scheduled nothing in the timelock')
  return { txHash: r.transactionHash, operationId: scheduled.args.id, eta: await etaOf(lab, stack, p) }
}

/** Advances time to the ETA (evm_increaseTime + mine) and executes through the governor. */
export async function executeOz(lab: Lab, stack: OzStack, p: OzProposal): Promise<{ txHash: Hash }> {
  await warpTo(lab, await etaOf(lab, stack, p))
  const r = await mined(
    lab,
    lab.wallet.writeContract({
      account: stack.voter,
      chain: null,
      address: stack.governor,
      abi: governorAbi,
      functionName: 'execute',
      args: asArgs(p),
    }),
    'execute',
  )
  return { txHash: r.transactionHash }
}

async function etaOf(lab: Lab, stack: OzStack, p: OzProposal): Promise<bigint> {
  const proposalId = await lab.public.readContract({
    address: stack.governor,
    abi: governorAbi,
    functionName: 'hashProposal',
    args: asArgs(p),
  })
  return lab.public.readContract({
    address: stack.governor,
    abi: governorAbi,
    functionName: 'proposalEta',
    args: [proposalId],
  })
}
