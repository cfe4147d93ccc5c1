import type { Address, Hash, Hex } from 'viem'

/** A governance parameter and the value the chain holds now (before the proposal runs). */
export type GovernanceParams = {
  votingDelay?: bigint
  votingPeriod?: bigint
  proposalThreshold?: bigint
  /** OZ GovernorVotesQuorumFraction numerator (of `quorumDenominator`, 100 by default). */
  quorumNumerator?: bigint
  quorumDenominator?: bigint
  /** TimelockController.getMinDelay(), or a Compound timelock's delay(). */
  timelockMinDelay?: bigint
  /** OZ GovernorProposalGuardian.proposalGuardian(), or Bravo's guardian(). */
  proposalGuardian?: Address
  /** OZ GovernorTimelockControl.timelock(). */
  timelock?: Address
}

/** A contract a proposal calls or touches: its code when the proposal was made, and now. */
export type CodePin = {
  address: Address
  /**
   * keccak256 of the code at the proposal's creation block; `null` when it had none. Equal to
   * `now` when `unpinned`: the history could not be read.
   */
  atCreation: Hash | null
  /** The code at creation could not be read (no archive node): a change would go unnoticed. */
  unpinned?: true
  /** keccak256 of the code now; `null` when it has none. */
  now: Hash | null
  /** The code now (for static checks such as a reachable SELFDESTRUCT). */
  code?: Hex
  /** The block its current code was deployed in, when custos could find it. */
  deployedBlock?: bigint
  /** Whether the proposal sends calldata to it (a target), or the simulation only touched it. */
  target: boolean
}

/** What custos read about a governance proposal besides its calls. */
export type GovernanceFacts = {
  flavor: 'oz' | 'bravo' | 'timelock'
  governor?: Address
  timelock?: Address
  /** Whose authority runs the calls: the timelock, or the governor when it has none. */
  executor: Address
  /** The block the proposal (or timelock operation) was created in. */
  createdBlock: bigint
  proposer?: Address
  description?: string
  /** Governor state name (Pending, Active, Succeeded, Queued, Executed, Canceled…), if read. */
  state?: string
  voteEnd?: bigint
  /** When it can execute (timelock ETA, seconds). */
  eta?: bigint
  /** The parameters now, to compare a proposed change with. */
  params: GovernanceParams
  code: CodePin[]
  /** The executor's holdings of each asset the simulation shows leaving it, before it runs. */
  treasury: Array<{ token: Address | 'native'; balance: bigint }>
  /** Addresses the executor sent tokens to before (its ERC20 Transfer history), when read. */
  pastRecipients?: Address[]
  /** Why some of this could not be read (the guards then judge without it, and say so). */
  problems: string[]
  /** The first simulation custos ran of this proposal (the watch loop), to compare with this one. */
  firstSimulation?: SimulationSummary
}

/** What a simulation showed, in a form that survives storage. */
export type SimulationSummary = {
  checkedAt: string
  success: boolean
  /** `token:from:to:amount` (token `native` for the coin), sorted. */
  assetChanges: string[]
}
