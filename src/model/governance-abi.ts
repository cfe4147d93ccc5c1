import { parseAbi } from 'viem'

// The governor and timelock ABIs custos reads and acts with, in one place: the sources read
// events and views with them, the veto executors check state before a cancel, the lifecycle
// simulation drives a governor on the fork. (Decoding calldata uses verify/abis.ts, whose
// entries are named for people reading a report.)

export const GOVERNOR_EVENTS = parseAbi([
  'event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description)',
  'event ProposalQueued(uint256 proposalId, uint256 etaSeconds)',
  'event ProposalExecuted(uint256 proposalId)',
  'event ProposalCanceled(uint256 proposalId)',
])

export const TIMELOCK_EVENTS = parseAbi([
  'event CallScheduled(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data, bytes32 predecessor, uint256 delay)',
  'event CallExecuted(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data)',
  'event Cancelled(bytes32 indexed id)',
  'event CallSalt(bytes32 indexed id, bytes32 salt)',
])

/** Governor views (OpenZeppelin and Bravo-style; every read of one a governor may lack is optional). */
export const GOVERNOR_VIEWS = parseAbi([
  'function state(uint256 proposalId) view returns (uint8)',
  'function proposalSnapshot(uint256 proposalId) view returns (uint256)',
  'function proposalDeadline(uint256 proposalId) view returns (uint256)',
  'function proposalEta(uint256 proposalId) view returns (uint256)',
  'function proposalNeedsQueuing(uint256 proposalId) view returns (bool)',
  'function hashProposal(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) view returns (uint256)',
  'function votingDelay() view returns (uint256)',
  'function votingPeriod() view returns (uint256)',
  'function proposalThreshold() view returns (uint256)',
  'function quorumNumerator() view returns (uint256)',
  'function quorumDenominator() view returns (uint256)',
  'function proposalGuardian() view returns (address)',
  'function guardian() view returns (address)',
  'function timelock() view returns (address)',
  'function token() view returns (address)',
  'function CLOCK_MODE() view returns (string)',
  'function proposalCount() view returns (uint256)',
])

/** OpenZeppelin governor state names, by `state()`'s number. */
export const GOVERNOR_STATES = [
  'Pending',
  'Active',
  'Canceled',
  'Defeated',
  'Succeeded',
  'Queued',
  'Expired',
  'Executed',
] as const

/** TimelockController (and Compound timelock) views. */
export const TIMELOCK_VIEWS = parseAbi([
  'function getMinDelay() view returns (uint256)',
  'function delay() view returns (uint256)',
  'function getTimestamp(bytes32 id) view returns (uint256)',
  'function isOperationPending(bytes32 id) view returns (bool)',
])
