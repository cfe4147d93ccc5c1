import { type Address, getContractAddress, type Hash, type Hex, parseEventLogs } from 'viem'
import type { Lab } from '../index.js'
import { bravoAbi, ProposalState } from './abis.js'
import { deploy, mined, mineUntil, warpTo } from './chain.js'
import type { GovernanceArtifacts } from './compile.js'
import { type BravoStack, GOV_TOKEN_SUPPLY, type GovernanceSettings } from './types.js'

/**
 * Compound's layout: when `signatures[i]` is set (e.g. 'transfer(address,uint256)'), `calldatas[i]`
 * holds only the ABI-encoded arguments and the timelock prepends the selector.
 */
export type BravoProposal = {
  targets: Address[]
  values: bigint[]
  signatures: string[]
  calldatas: Hex[]
  description: string
}

type Stack = Pick<BravoStack, 'bravo' | 'voter'>

/** Proposes from the voter (or `proposer`); the id comes from the ProposalCreated event. */
export async function proposeBravo(
  lab: Lab,
  stack: Stack,
  p: BravoProposal,
  opts: { proposer?: Address } = {},
): Promise<{ proposalId: bigint; txHash: Hash; blockNumber: bigint }> {
  const r = await mined(
    lab,
    lab.wallet.writeContract({
      account: opts.proposer ?? stack.voter,
      chain: null,
      address: stack.bravo,
      abi: bravoAbi,
      functionName: 'propose',
      args: [p.targets, p.values, p.signatures, p.calldatas, p.description],
    }),
    'propose',
  )
  const [created] = parseEventLogs({ abi: bravoAbi, eventName: 'ProposalCreated', logs: r.logs })
  if (!created) throw new Error('lab: propose emitted no ProposalCreated')
  return { proposalId: created.args.id, txHash: r.transactionHash, blockNumber: r.blockNumber }
}

const proposal = async (lab: Lab, stack: Stack, proposalId: bigint) => {
  const [, , eta, startBlock, endBlock] = await lab.public.readContract({
    address: stack.bravo,
    abi: bravoAbi,
    functionName: 'proposals',
    args: [proposalId],
  })
  return { eta, startBlock, endBlock }
}

const send = (lab: Lab, stack: Stack, functionName: 'queue' | 'execute', proposalId: bigint) =>
  mined(
    lab,
    lab.wallet.writeContract({
      account: stack.voter,
      chain: null,
      address: stack.bravo,
      abi: bravoAbi,
      functionName,
      args: [proposalId],
    }),
    functionName,
  )

/** Mines into the voting window, votes For with the voter, mines past the end; checks Succeeded. */
export async function passBravo(lab: Lab, stack: Stack, proposalId: bigint): Promise<void> {
  const { startBlock, endBlock } = await proposal(lab, stack, proposalId)
  await mineUntil(lab, startBlock + 1n)
  await mined(
    lab,
    lab.wallet.writeContract({
      account: stack.voter,
      chain: null,
      address: stack.bravo,
      abi: bravoAbi,
      functionName: 'castVote',
      args: [proposalId, 1],
    }),
    'castVote',
  )
  await mineUntil(lab, endBlock + 1n)
  const state = await lab.public.readContract({
    address: stack.bravo,
    abi: bravoAbi,
    functionName: 'state',
    args: [proposalId],
  })
  if (state !== ProposalState.Succeeded)
    throw new Error(`lab: Bravo proposal ${proposalId} ended in state ${state}`)
}

/** Queues every action in the Bravo timelock; returns the ETA. */
export async function queueBravo(
  lab: Lab,
  stack: Stack,
  proposalId: bigint,
): Promise<{ txHash: Hash; eta: bigint }> {
  const r = await send(lab, stack, 'queue', proposalId)
  return { txHash: r.transactionHash, eta: (await proposal(lab, stack, proposalId)).eta }
}

/** Advances time to the ETA (evm_increaseTime + mine) and executes; the timelock pays the values. */
export async function executeBravo(lab: Lab, stack: Stack, proposalId: bigint): Promise<{ txHash: Hash }> {
  await warpTo(lab, (await proposal(lab, stack, proposalId)).eta)
  const r = await send(lab, stack, 'execute', proposalId)
  return { txHash: r.transactionHash }
}

/** LabBravoTimelock and LabBravo wired to each other, voting with `token`. */
export async function deployBravoContracts(
  lab: Lab,
  c: GovernanceArtifacts['contracts'],
  s: { token: Address; deployer: Address; guardian: Address; settings: GovernanceSettings },
): Promise<{ bravo: Address; bravoTimelock: Address }> {
  // Compound's timelock takes its admin (the governor) at construction and the governor takes the
  // timelock: deploy the timelock for the governor's address predicted from the next nonce.
  const nonce = await lab.public.getTransactionCount({ address: s.deployer, blockTag: 'pending' })
  const predicted = getContractAddress({ from: s.deployer, nonce: BigInt(nonce + 1) })
  const bravoTimelock = await deploy(
    lab,
    s.deployer,
    c.LabBravoTimelock,
    [predicted, s.settings.minDelay],
    nonce,
  )
  const quorumVotes = (GOV_TOKEN_SUPPLY * BigInt(s.settings.quorumNumerator)) / 100n
  const bravo = await deploy(
    lab,
    s.deployer,
    c.LabBravo,
    [
      s.token,
      bravoTimelock,
      s.settings.votingDelay,
      s.settings.votingPeriod,
      s.settings.proposalThreshold,
      quorumVotes,
      s.guardian,
    ],
    nonce + 1,
  )
  if (bravo !== predicted) throw new Error(`lab: Bravo landed at ${bravo}, its timelock expects ${predicted}`)
  return { bravo, bravoTimelock }
}
