import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  getAddress,
  type Hash,
  type Hex,
  type PublicClient,
  toEventSelector,
  zeroAddress,
} from 'viem'
import { InputError, RetryableError } from '../model/errors.js'
import type { GovernanceParams } from '../model/governance.js'
import { GOVERNOR_STATES, GOVERNOR_VIEWS, TIMELOCK_VIEWS } from '../model/governance-abi.js'
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

const governorAbi = GOVERNOR_VIEWS
const timelockAbi = TIMELOCK_VIEWS
const STATES: readonly string[] = GOVERNOR_STATES

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
        throw new RetryableError(
          `cannot tell whether ${governor} is an OpenZeppelin or a Bravo governor: proposalSnapshot failed ${tries} times (${redactUrls(String(reason).split('\n')[0] ?? '')})`,
          { cause: error },
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

export type GovernorProposal = Extract<GovernanceEvent, { kind: 'proposal-created' }> &
  GovernorStatus & {
    queued: boolean
    executed: boolean
    canceled: boolean
  }

/** What a governor says of a proposal now: its flavor, state, ETA and executor. */
export type GovernorStatus = {
  flavor: 'oz' | 'bravo'
  executor: Address
  timelock?: Address
  state?: string
  eta?: bigint
}

/** The views behind a proposal's status, in one batch: its state, the timelock, its ETA. */
function statusViews(client: PublicClient, governor: Address, proposalId: bigint) {
  return readMany(
    client,
    (['state', 'timelock', 'proposalEta'] as const).map((functionName) => ({
      address: governor,
      abi: governorAbi,
      functionName,
      args: functionName === 'timelock' ? [] : [proposalId],
    })),
  ) as Promise<[number | undefined, Address | undefined, bigint | undefined]>
}

function statusOf(
  governor: Address,
  flavor: 'oz' | 'bravo',
  [stateIndex, timelock, ozEta]: Awaited<ReturnType<typeof statusViews>>,
  queuedEta: bigint | undefined,
): GovernorStatus {
  const eta = flavor === 'oz' ? ozEta : queuedEta
  const hasTimelock = timelock !== undefined && timelock !== zeroAddress
  return {
    flavor,
    executor: hasTimelock ? getAddress(timelock) : governor,
    ...(hasTimelock ? { timelock: getAddress(timelock) } : {}),
    ...(stateIndex !== undefined ? { state: STATES[Number(stateIndex)] ?? `state ${stateIndex}` } : {}),
    ...(eta !== undefined && eta > 0n ? { eta } : {}),
  }
}

/**
 * A governor's proposal status, read from the governor's views (the flavor, and the rest in one
 * batch meanwhile). `queuedEta` is the ETA a ProposalQueued event gave, which is all a
 * Bravo-style governor says of it.
 */
export async function readGovernorStatus(
  client: PublicClient,
  governor: Address,
  proposalId: bigint,
  queuedEta?: bigint,
): Promise<GovernorStatus> {
  // statusViews never rejects (each read is undefined when it fails), so it can wait its turn.
  const views = statusViews(client, governor, proposalId)
  const flavor = await flavorOf(client, governor, proposalId)
  return statusOf(governor, flavor, await views, queuedEta)
}

/** A governor's proposal by id: its creation event (searched back from the head) and its status. */
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
  const views = statusViews(client, governor, proposalId)
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
  const queued = mine.find((e) => e.kind === 'proposal-queued')
  const status = statusOf(
    governor,
    flavor,
    await views,
    queued?.kind === 'proposal-queued' ? queued.eta : undefined,
  )
  return {
    ...created,
    ...status,
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
  // The state does not depend on the events: read meanwhile.
  const [events, status] = await Promise.all([
    scanBack(client, timelock, options, (es) => es.length > 0, [scheduled, operationId]),
    readTimelockStatus(client, timelock, operationId),
  ])
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
  return { ...op, ...status, ...(cancelled.length > 0 ? { state: 'cancelled' as const } : {}) }
}

/**
 * A scheduled TimelockController operation's state, from `getTimestamp`: 0 once cancelled (the
 * operation is known to have been scheduled), 1 once done, else its ETA. The head's timestamp
 * is read alongside.
 */
export async function readTimelockStatus(
  client: PublicClient,
  timelock: Address,
  operationId: Hash,
): Promise<{ state: TimelockOperation['state']; eta?: bigint }> {
  const [ts, head] = await Promise.all([
    attempt(
      client.readContract({
        address: timelock,
        abi: timelockAbi,
        functionName: 'getTimestamp',
        args: [operationId],
      }),
    ),
    client.getBlock(),
  ])
  const now = head.timestamp
  const state: TimelockOperation['state'] =
    ts === undefined
      ? 'unknown'
      : ts === 1n
        ? 'done'
        : ts === 0n
          ? 'cancelled'
          : ts <= now
            ? 'ready'
            : 'pending'
  return { state, ...(ts !== undefined && ts > 1n ? { eta: ts } : {}) }
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
