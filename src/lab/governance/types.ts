import { type Abi, type Address, parseEther } from 'viem'

/** The governance token's supply, minted to the voter. */
export const GOV_TOKEN_SUPPLY = parseEther('1000000')

export type GovernanceSettings = {
  /** Blocks between proposal and voting start (both governors). */
  votingDelay: number
  /** Blocks of voting (both governors). */
  votingPeriod: number
  proposalThreshold: bigint
  /** OZ quorum in percent of the supply; Bravo's fixed quorumVotes is the same share. */
  quorumNumerator: number
  /** Seconds: the TimelockController's min delay and the Bravo timelock's delay. */
  minDelay: number
  /** Funded into each timelock (the DAO treasury). */
  treasuryEth: bigint
  treasuryTokens: bigint
}

export type GovernanceOptions = Partial<GovernanceSettings> & { guardian?: Address }

export type BravoStack = {
  token: Address
  bravo: Address
  bravoTimelock: Address
  /** Bravo's guardian (and, in the full stack, the OZ proposal guardian and a timelock canceller). */
  guardian: Address
  /** Holds the token supply (less the treasuries) delegated to itself: it alone passes proposals. */
  voter: Address
  deployer: Address
  settings: GovernanceSettings
  abis: { token: Abi; bravo: Abi; bravoTimelock: Abi }
}

export type GovernanceStack = BravoStack & {
  governor: Address
  timelock: Address
  abis: BravoStack['abis'] & { governor: Abi; timelock: Abi }
}
