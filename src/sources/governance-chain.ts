import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  getAddress,
  type Hash,
  type Hex,
  type PublicClient,
  parseAbi,
  toEventSelector,
  zeroAddress,
} from 'viem'
import { InputError, RemoteError } from '../model/errors.js'
import type { GovernanceParams } from '../model/governance.js'
import type { Call } from '../model/proposal.js'
import { redactUrls } from '../model/redact.js'
import {
  type GovernanceEvent,
  groupScheduled,
  readGovernanceEvents,
  type ScheduledOperation,
  TIMELOCK_EVENTS,
} from './governance.js'
import { readMany } from './multicall.js'

// Reading a governance proposal and its surroundings from a node: where it was created, its
// state, the parameters it may change, the code it calls. Every read that can fail on a
// governor that lacks the function is optional; what could not be read is said, not guessed.

const governorAbi = parseAbi([
  'function state(uint256 proposalId) view returns (uint8)',
  'function proposalSnapshot(uint256 proposalId) view returns (uint256)',
  'function proposalEta(uint256 proposalId) view returns (uint256)',
  'function votingDelay() view returns (uint256)',
  'function votingPeriod() view returns (uint256)',
  'function proposalThreshold() view returns (uint256)',
  'function quorumNumerator() view returns (uint256)',
  'function quorumDenominator() view returns (uint256)',
  'function proposalGuardian() view returns (address)',
  'function guardian() view returns (address)',
  'function timelock() view returns (address)',
  'function proposalCount() view returns (uint256)',
])
const timelockAbi = parseAbi([
  'function getMinDelay() view returns (uint256)',
  'function delay() view returns (uint256)',
  'function getTimestamp(bytes32 id) view returns (uint256)',
])
const STATES = ['Pending', 'Active', 'Canceled', 'Defeated', 'Succeeded', 'Queued', 'Expired', 'Executed']

/** The node ran the call and the contract reverted (or returned nothing): the function is not there. */
const reverted = (error: unknown) =>
  error instanceof BaseError &&
  error.walk(
    (e) => e instanceof ContractFunctionRevertedError || e instanceof ContractFunctionZeroDataError,
  ) !== null

/** Tries a transport failing again this many times, this far apart (ms), before giving up. */
const FLAVOR_TRIES = 3
const FLAVOR_BACKOFF_MS = 300

/**
 * OpenZeppelin governors answer `proposalSnapshot`; Bravo-style ones revert. Only a revert means
 * Bravo: a node that timed out or failed would otherwise turn an OpenZeppelin governor into one
 * (no lifecycle simulation, the wrong cancel), so a transport error is retried and then thrown.
 */
async function flavorOf(
  client: PublicClient,
  governor: Address,
  proposalId: bigint,
): Promise<'oz' | 'bravo'> {
  for (let tries = 1; ; tries++) {
    try {
      await client.readContract({
        address: governor,
        abi: governorAbi,
        functionName: 'proposalSnapshot',
        args: [proposalId],
      })
      return 'oz'
    } catch (error) {
      if (reverted(error)) return 'bravo'
      if (tries >= FLAVOR_TRIES) {
        const reason = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message
        throw new RemoteError(
          `cannot tell whether ${governor} is an OpenZeppelin or a Bravo governor: proposalSnapshot failed ${tries} times (${redactUrls(String(reason).split('\n')[0] ?? '')})`,
          { cause: error, retryable: true },
        )
      }
      await new Promise((r) => setTimeout(r, FLAVOR_BACKOFF_MS * tries))
    }
  }
}

const attempt = async <T>(p: Promise<T>): Promise<T | undefined> => {
  try {
    return await p
  } catch {
    return undefined
  }
}

export type ScanOptions = {
  maxBlockRange: number
  /** How far back from the head to look for the creation event (blocks). */
  lookbackBlocks: number
  /** The block the event is known to be in (the watch loop saw it): only that block is read. */
  atBlock?: bigint
}

/**
 * Finds events of `address` newest first, in `maxBlockRange` steps back from the head, until
 * `found` is satisfied or the lookback is exhausted.
 */
async function scanBack(
  client: PublicClient,
  address: Address,
  options: ScanOptions,
  found: (events: GovernanceEvent[]) => boolean,
  topics?: Array<Hex | null>,
): Promise<GovernanceEvent[]> {
  if (options.atBlock !== undefined)
    return readGovernanceEvents(
      client,
      [address],
      options.atBlock,
      options.atBlock,
      1,
      topics ? { topics } : undefined,
    )
  const head = await client.getBlockNumber()
  const floor = head > BigInt(options.lookbackBlocks) ? head - BigInt(options.lookbackBlocks) : 0n
  const all: GovernanceEvent[] = []
  for (let hi = head; hi >= floor; ) {
    const lo =
      hi - BigInt(options.maxBlockRange) + 1n > floor ? hi - BigInt(options.maxBlockRange) + 1n : floor
    all.push(
      ...(await readGovernanceEvents(
        client,
        [address],
        lo,
        hi,
        options.maxBlockRange,
        topics ? { topics } : undefined,
      )),
    )
    if (found(all) || lo === floor) break
    hi = lo - 1n
  }
  return all
}

export type GovernorProposal = Extract<GovernanceEvent, { kind: 'proposal-created' }> & {
  flavor: 'oz' | 'bravo'
  executor: Address
  timelock?: Address
  state?: string
  eta?: bigint
  queued: boolean
  executed: boolean
  canceled: boolean
}

/** A governor's proposal by id: its creation event, its flavor, state, ETA and executor. */
export async function readGovernorProposal(
  client: PublicClient,
  governor: Address,
  proposalId: bigint,
  options: ScanOptions,
): Promise<GovernorProposal> {
  // What the flavor does not change is read meanwhile: the creation event, state, timelock, ETA.
  const scanned = scanBack(client, governor, options, (es) =>
    es.some((e) => e.kind === 'proposal-created' && e.proposalId === proposalId),
  )
  const details = readMany(
    client,
    (['state', 'timelock', 'proposalEta'] as const).map((functionName) => ({
      address: governor,
      abi: governorAbi,
      functionName,
      args: functionName === 'timelock' ? [] : [proposalId],
    })),
  )
  const [code, events] = await Promise.all([client.getCode({ address: governor }), scanned])
  if (code === undefined) throw new InputError(`${governor} has no code: not a governor on this chain`)
  const flavor = await flavorOf(client, governor, proposalId)
  const created = events.find(
    (e): e is Extract<GovernanceEvent, { kind: 'proposal-created' }> =>
      e.kind === 'proposal-created' && e.proposalId === proposalId,
  )
  if (!created)
    throw new InputError(
      `no ProposalCreated for proposal ${proposalId} at ${governor} in the last ${options.lookbackBlocks} blocks`,
    )
  const mine = events.filter((e) => 'proposalId' in e && e.proposalId === proposalId)
  const [stateIndex, timelock, ozEta] = (await details) as [
    number | undefined,
    Address | undefined,
    bigint | undefined,
  ]
  const queued = mine.find((e) => e.kind === 'proposal-queued')
  const eta = flavor === 'oz' ? ozEta : queued?.kind === 'proposal-queued' ? queued.eta : undefined
  const hasTimelock = timelock !== undefined && timelock !== zeroAddress
  return {
    ...created,
    flavor,
    executor: hasTimelock ? getAddress(timelock) : governor,
    ...(hasTimelock ? { timelock: getAddress(timelock) } : {}),
    ...(stateIndex !== undefined ? { state: STATES[Number(stateIndex)] ?? `state ${stateIndex}` } : {}),
    ...(eta !== undefined && eta > 0n ? { eta } : {}),
    queued: queued !== undefined,
    executed: mine.some((e) => e.kind === 'proposal-executed'),
    canceled: mine.some((e) => e.kind === 'proposal-canceled'),
  }
}

export type TimelockOperation = ScheduledOperation & {
  state: 'pending' | 'ready' | 'done' | 'cancelled' | 'unknown'
  eta?: bigint
}

/** A TimelockController operation by id: its scheduled calls (a batch in index order) and state. */
export async function readTimelockOperation(
  client: PublicClient,
  timelock: Address,
  operationId: Hash,
  options: ScanOptions,
): Promise<TimelockOperation> {
  const scheduled = toEventSelector(TIMELOCK_EVENTS[0])
  const tsRead = attempt(
    client.readContract({
      address: timelock,
      abi: timelockAbi,
      functionName: 'getTimestamp',
      args: [operationId],
    }),
  )
  const events = await scanBack(client, timelock, options, (es) => es.length > 0, [scheduled, operationId])
  const [op] = groupScheduled(events)
  if (!op)
    throw new InputError(
      `no CallScheduled for operation ${operationId} at ${timelock} in the last ${options.lookbackBlocks} blocks`,
    )
  const cancelled = await scanBack(
    client,
    timelock,
    // From the scheduling on (not only the block the watch loop saw it in).
    {
      maxBlockRange: options.maxBlockRange,
      lookbackBlocks: Number((await client.getBlockNumber()) - op.blockNumber),
    },
    () => false,
    [toEventSelector(TIMELOCK_EVENTS[2]), operationId],
  )
  const ts = await tsRead
  const now = (await client.getBlock()).timestamp
  const state: TimelockOperation['state'] =
    cancelled.length > 0
      ? 'cancelled'
      : ts === undefined
        ? 'unknown'
        : ts === 1n
          ? 'done'
          : ts === 0n
            ? 'cancelled'
            : ts <= now
              ? 'ready'
              : 'pending'
  return { ...op, state, ...(ts !== undefined && ts > 1n ? { eta: ts } : {}) }
}

/** The governance parameters a proposal may change, as the chain holds them now (one batch). */
export async function readGovernanceParams(
  client: PublicClient,
  where: { governor?: Address; timelock?: Address; flavor: 'oz' | 'bravo' | 'timelock' },
): Promise<GovernanceParams> {
  const params: GovernanceParams = {}
  const governorReads = where.governor
    ? (
        [
          'votingDelay',
          'votingPeriod',
          'proposalThreshold',
          'quorumNumerator',
          'quorumDenominator',
          'proposalGuardian',
          'guardian',
          'timelock',
        ] as const
      ).map((functionName) => ({ address: where.governor as Address, abi: governorAbi, functionName }))
    : []
  const delayReads = (timelock: Address) =>
    (['getMinDelay', 'delay'] as const).map((functionName) => ({
      address: timelock,
      abi: timelockAbi,
      functionName,
    }))
  // The timelock's delay joins the batch when the timelock is known already.
  const known = where.timelock && where.timelock !== zeroAddress ? where.timelock : undefined
  const results = await readMany(client, [...governorReads, ...(known ? delayReads(known) : [])])
  const g = results.slice(0, governorReads.length)
  if (where.governor) {
    const [votingDelay, votingPeriod, proposalThreshold, quorumNumerator, quorumDenominator] = g as Array<
      bigint | undefined
    >
    const set = <K extends keyof GovernanceParams>(key: K, value: GovernanceParams[K] | undefined) => {
      if (value !== undefined) params[key] = value
    }
    set('votingDelay', votingDelay)
    set('votingPeriod', votingPeriod)
    set('proposalThreshold', proposalThreshold)
    set('quorumNumerator', quorumNumerator)
    set('quorumDenominator', quorumDenominator)
    const guardian = (g[5] as Address | undefined) ?? (g[6] as Address | undefined)
    if (guardian) params.proposalGuardian = getAddress(guardian)
    const timelock = g[7] as Address | undefined
    if (timelock) params.timelock = getAddress(timelock)
  }
  const timelock = where.timelock ?? params.timelock
  if (timelock && timelock !== zeroAddress) {
    const [minDelay, delay] = (
      known ? results.slice(governorReads.length) : await readMany(client, delayReads(timelock))
    ) as Array<bigint | undefined>
    const value = minDelay ?? delay
    if (value !== undefined) params.timelockMinDelay = value
  }
  return params
}

// What a proposal touches (code pins, the treasury, the executor's transfer history) is read in
// governance-state.ts; re-exported here, where readers of a proposal look for it.
export { readCodePins, readPastRecipients, readTreasury } from './governance-state.js'

export type { Call }
