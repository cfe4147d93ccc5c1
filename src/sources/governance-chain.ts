import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  getAddress,
  type Hash,
  type Hex,
  keccak256,
  type PublicClient,
  parseAbi,
  toEventSelector,
  zeroAddress,
} from 'viem'
import { InputError, RetryableError } from '../model/errors.js'
import type { CodePin, GovernanceParams } from '../model/governance.js'
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

// Reading a governance proposal and its surroundings from a node: where it was created, its
// state, the parameters it may change, the code it calls. Every read that can fail on a
// governor that lacks the function is optional; what could not be read is said, not guessed.

const governorAbi = GOVERNOR_VIEWS
const timelockAbi = TIMELOCK_VIEWS
const erc20Abi = parseAbi(['function balanceOf(address) view returns (uint256)'])
const TRANSFER = toEventSelector('event Transfer(address indexed from, address indexed to, uint256 value)')
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

/**
 * A governor's proposal status, read from the governor's views. `queuedEta` is the ETA a
 * ProposalQueued event gave, which is all a Bravo-style governor says of it.
 */
export async function readGovernorStatus(
  client: PublicClient,
  governor: Address,
  proposalId: bigint,
  queuedEta?: bigint,
): Promise<GovernorStatus> {
  const read = <T>(functionName: string, args: unknown[] = []) =>
    attempt(
      client.readContract({ address: governor, abi: governorAbi, functionName, args } as never) as Promise<T>,
    )
  const flavor = await flavorOf(client, governor, proposalId)
  const stateIndex = await read<number>('state', [proposalId])
  const timelock = await read<Address>('timelock')
  const eta = flavor === 'oz' ? await read<bigint>('proposalEta', [proposalId]) : queuedEta
  const hasTimelock = timelock !== undefined && timelock !== zeroAddress
  return {
    flavor,
    executor: hasTimelock ? getAddress(timelock) : governor,
    ...(hasTimelock ? { timelock: getAddress(timelock) } : {}),
    ...(stateIndex !== undefined ? { state: STATES[Number(stateIndex)] ?? `state ${stateIndex}` } : {}),
    ...(eta !== undefined && eta > 0n ? { eta } : {}),
  }
}

/** A governor's proposal by id: its creation event (searched back from the head) and its status. */
export async function readGovernorProposal(
  client: PublicClient,
  governor: Address,
  proposalId: bigint,
  options: ScanOptions,
): Promise<GovernorProposal> {
  if ((await client.getCode({ address: governor })) === undefined)
    throw new InputError(`${governor} has no code: not a governor on this chain`)
  const events = await scanBack(client, governor, options, (es) =>
    es.some((e) => e.kind === 'proposal-created' && e.proposalId === proposalId),
  )
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
  const status = await readGovernorStatus(
    client,
    governor,
    proposalId,
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
  const status = await readTimelockStatus(client, timelock, operationId)
  return { ...op, ...status, ...(cancelled.length > 0 ? { state: 'cancelled' as const } : {}) }
}

/**
 * A scheduled TimelockController operation's state, from `getTimestamp`: 0 once cancelled (the
 * operation is known to have been scheduled), 1 once done, else its ETA.
 */
export async function readTimelockStatus(
  client: PublicClient,
  timelock: Address,
  operationId: Hash,
): Promise<{ state: TimelockOperation['state']; eta?: bigint }> {
  const ts = await attempt(
    client.readContract({
      address: timelock,
      abi: timelockAbi,
      functionName: 'getTimestamp',
      args: [operationId],
    }),
  )
  const now = (await client.getBlock()).timestamp
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

/** The governance parameters a proposal may change, as the chain holds them now. */
export async function readGovernanceParams(
  client: PublicClient,
  where: { governor?: Address; timelock?: Address; flavor: 'oz' | 'bravo' | 'timelock' },
): Promise<GovernanceParams> {
  const params: GovernanceParams = {}
  if (where.governor) {
    const read = <T>(functionName: string) =>
      attempt(
        client.readContract({
          address: where.governor as Address,
          abi: governorAbi,
          functionName,
        } as never) as Promise<T>,
      )
    const set = <K extends keyof GovernanceParams>(key: K, value: GovernanceParams[K] | undefined) => {
      if (value !== undefined) params[key] = value
    }
    set('votingDelay', await read<bigint>('votingDelay'))
    set('votingPeriod', await read<bigint>('votingPeriod'))
    set('proposalThreshold', await read<bigint>('proposalThreshold'))
    set('quorumNumerator', await read<bigint>('quorumNumerator'))
    set('quorumDenominator', await read<bigint>('quorumDenominator'))
    const guardian = (await read<Address>('proposalGuardian')) ?? (await read<Address>('guardian'))
    if (guardian) params.proposalGuardian = getAddress(guardian)
    const timelock = await read<Address>('timelock')
    if (timelock) params.timelock = getAddress(timelock)
  }
  const timelock = where.timelock ?? params.timelock
  if (timelock && timelock !== zeroAddress) {
    const delay =
      (await attempt(
        client.readContract({ address: timelock, abi: timelockAbi, functionName: 'getMinDelay' }),
      )) ??
      (await attempt(client.readContract({ address: timelock, abi: timelockAbi, functionName: 'delay' })))
    if (delay !== undefined) params.timelockMinDelay = delay
  }
  return params
}

const codeHash = (code: Hex | undefined): Hash | null => (code && code !== '0x' ? keccak256(code) : null)

/**
 * The code of each address at the proposal's creation block and now, and for targets the block
 * their current code was deployed in (a binary search over history: needs an archive node).
 */
export async function readCodePins(
  client: PublicClient,
  addresses: Array<{ address: Address; target: boolean }>,
  createdBlock: bigint,
  problems: string[],
): Promise<CodePin[]> {
  const out: CodePin[] = []
  for (const { address, target } of addresses) {
    const now = await client.getCode({ address })
    let atCreation: Hex | undefined
    let unpinned = false
    try {
      atCreation = await client.getCode({ address, blockNumber: createdBlock })
    } catch (error) {
      problems.push(
        `could not read the code of ${address} at block ${createdBlock} (an archive node is needed): ${(error as Error).message.split('\n')[0]}`,
      )
      atCreation = now
      unpinned = true
    }
    const pin: CodePin = { address, atCreation: codeHash(atCreation), now: codeHash(now), target }
    if (unpinned) pin.unpinned = true
    if (now && now !== '0x') pin.code = now
    if (target && now && now !== '0x') {
      const deployed = await attempt(deployedAt(client, address, keccak256(now)))
      if (deployed !== undefined) pin.deployedBlock = deployed
    }
    out.push(pin)
  }
  return out
}

/** The first block from which `address` has had its current code (binary search). */
async function deployedAt(client: PublicClient, address: Address, hash: Hash): Promise<bigint> {
  let lo = 0n
  let hi = await client.getBlockNumber()
  while (lo < hi) {
    const mid = (lo + hi) / 2n
    const code = await client.getCode({ address, blockNumber: mid })
    if (codeHash(code) === hash) hi = mid
    else lo = mid + 1n
  }
  return lo
}

/** What the executor holds of each asset, before the proposal runs. */
export async function readTreasury(
  client: PublicClient,
  executor: Address,
  tokens: Array<Address | 'native'>,
): Promise<Array<{ token: Address | 'native'; balance: bigint }>> {
  const out: Array<{ token: Address | 'native'; balance: bigint }> = []
  for (const token of new Set(tokens)) {
    const balance =
      token === 'native'
        ? await attempt(client.getBalance({ address: executor }))
        : await attempt(
            client.readContract({
              address: token,
              abi: erc20Abi,
              functionName: 'balanceOf',
              args: [executor],
            }),
          )
    if (balance !== undefined) out.push({ token, balance })
  }
  return out
}

/** Accounts the executor sent ERC20 tokens to in `from..to` (its Transfer history). */
export async function readPastRecipients(
  client: PublicClient,
  executor: Address,
  from: bigint,
  to: bigint,
  maxBlockRange: number,
): Promise<Address[]> {
  const out = new Set<Address>()
  const topic = `0x${executor.slice(2).toLowerCase().padStart(64, '0')}` as Hex
  for (let lo = from; lo <= to; lo += BigInt(maxBlockRange)) {
    const hi = lo + BigInt(maxBlockRange) - 1n < to ? lo + BigInt(maxBlockRange) - 1n : to
    const logs = (await client.request({
      method: 'eth_getLogs',
      params: [
        { fromBlock: `0x${lo.toString(16)}`, toBlock: `0x${hi.toString(16)}`, topics: [TRANSFER, topic] },
      ],
    })) as Array<{ topics: Hex[] }>
    for (const l of logs) {
      const recipient = l.topics[2]
      if (recipient) out.add(getAddress(`0x${recipient.slice(26)}`))
    }
  }
  return [...out]
}

export type { Call }
