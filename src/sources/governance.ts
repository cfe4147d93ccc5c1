import {
  type Address,
  decodeEventLog,
  getAddress,
  type Hash,
  type Hex,
  keccak256,
  type Log,
  type PublicClient,
  toFunctionSelector,
  toHex,
} from 'viem'
import { GOVERNOR_EVENTS, TIMELOCK_EVENTS } from '../model/governance-abi.js'
import type { Call } from '../model/proposal.js'

// Governance proposals from their events: OpenZeppelin Governor and GovernorBravo share one
// ProposalCreated signature with two calldata layouts, and a TimelockController schedules an
// operation as one CallScheduled per call (a batch shares the id, ordered by index).

export { GOVERNOR_EVENTS, TIMELOCK_EVENTS }

type Where = { blockNumber: bigint; blockHash: Hash; transactionHash: Hash; logIndex: number }

export type GovernanceEvent = Where &
  (
    | {
        kind: 'proposal-created'
        governor: Address
        proposalId: bigint
        proposer: Address
        calls: Call[]
        /** Bravo's per-call function signatures ('' where calldata carries its own selector). */
        signatures: string[]
        voteStart: bigint
        voteEnd: bigint
        description: string
        descriptionHash: Hash
        /** Why a call could not be rebuilt (a length mismatch, a bad signature): never silently dropped. */
        problems: string[]
      }
    | { kind: 'proposal-queued'; governor: Address; proposalId: bigint; eta: bigint }
    | { kind: 'proposal-executed'; governor: Address; proposalId: bigint }
    | { kind: 'proposal-canceled'; governor: Address; proposalId: bigint }
    | {
        kind: 'call-scheduled'
        timelock: Address
        operationId: Hash
        index: bigint
        call: Call
        predecessor: Hash
        delay: bigint
      }
    | { kind: 'call-executed'; timelock: Address; operationId: Hash; index: bigint }
    | { kind: 'cancelled'; timelock: Address; operationId: Hash }
    | { kind: 'call-salt'; timelock: Address; operationId: Hash; salt: Hash }
  )

/**
 * The calls a proposal makes. In GovernorBravo, when `signatures[i]` is set, `calldatas[i]`
 * holds only the ABI-encoded arguments and the selector comes from the signature; OpenZeppelin
 * always leaves the signatures empty and puts the whole calldata in `calldatas[i]`.
 */
export function proposalCalls(
  targets: readonly Address[],
  values: readonly bigint[],
  signatures: readonly string[],
  calldatas: readonly Hex[],
): { calls: Call[]; problems: string[] } {
  const problems: string[] = []
  const n = targets.length
  if (values.length !== n || calldatas.length !== n || (signatures.length !== n && signatures.length !== 0))
    problems.push(
      `the proposal's arrays differ in length (targets ${n}, values ${values.length}, signatures ${signatures.length}, calldatas ${calldatas.length})`,
    )
  const calls: Call[] = []
  for (let i = 0; i < n; i++) {
    const signature = signatures[i] ?? ''
    const args = calldatas[i] ?? '0x'
    let data: Hex = args
    if (signature !== '') {
      try {
        data = `${toFunctionSelector(signature)}${args.slice(2)}` as Hex
      } catch {
        problems.push(`call ${i}: "${signature.slice(0, 80)}" is not a function signature`)
        data = `${keccak256(toHex(signature)).slice(0, 10)}${args.slice(2)}` as Hex
      }
    }
    calls.push({ to: getAddress(targets[i] as Address), value: values[i] ?? 0n, data, operation: 'call' })
  }
  return { calls, problems }
}

/** Decodes one governor or timelock log; undefined for anything else. */
export function decodeGovernanceLog(log: Log): GovernanceEvent | undefined {
  if (log.removed || log.blockNumber === null || log.blockHash === null || log.transactionHash === null)
    return undefined
  const where: Where = {
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.logIndex ?? 0,
  }
  const address = getAddress(log.address)
  const topics = log.topics as [Hex, ...Hex[]]
  try {
    const e = decodeEventLog({ abi: GOVERNOR_EVENTS, topics, data: log.data, strict: true })
    switch (e.eventName) {
      case 'ProposalCreated': {
        const a = e.args
        const { calls, problems } = proposalCalls(a.targets, a.values, a.signatures, a.calldatas)
        return {
          ...where,
          kind: 'proposal-created',
          governor: address,
          proposalId: a.proposalId,
          proposer: getAddress(a.proposer),
          calls,
          signatures: [...a.signatures],
          voteStart: a.voteStart,
          voteEnd: a.voteEnd,
          description: a.description,
          descriptionHash: keccak256(toHex(a.description)),
          problems,
        }
      }
      case 'ProposalQueued':
        return {
          ...where,
          kind: 'proposal-queued',
          governor: address,
          proposalId: e.args.proposalId,
          eta: e.args.etaSeconds,
        }
      case 'ProposalExecuted':
        return { ...where, kind: 'proposal-executed', governor: address, proposalId: e.args.proposalId }
      case 'ProposalCanceled':
        return { ...where, kind: 'proposal-canceled', governor: address, proposalId: e.args.proposalId }
    }
  } catch {
    // not a governor event
  }
  try {
    const e = decodeEventLog({ abi: TIMELOCK_EVENTS, topics, data: log.data, strict: true })
    switch (e.eventName) {
      case 'CallScheduled':
        return {
          ...where,
          kind: 'call-scheduled',
          timelock: address,
          operationId: e.args.id,
          index: e.args.index,
          call: { to: getAddress(e.args.target), value: e.args.value, data: e.args.data, operation: 'call' },
          predecessor: e.args.predecessor,
          delay: e.args.delay,
        }
      case 'CallExecuted':
        return {
          ...where,
          kind: 'call-executed',
          timelock: address,
          operationId: e.args.id,
          index: e.args.index,
        }
      case 'Cancelled':
        return { ...where, kind: 'cancelled', timelock: address, operationId: e.args.id }
      case 'CallSalt':
        return { ...where, kind: 'call-salt', timelock: address, operationId: e.args.id, salt: e.args.salt }
    }
  } catch {
    // not a timelock event
  }
  return undefined
}

export type ScheduledOperation = {
  timelock: Address
  operationId: Hash
  calls: Call[]
  predecessor: Hash
  delay: bigint
  blockNumber: bigint
  transactionHash: Hash
  /** Indexes missing from the batch or seen twice: the events do not add up. */
  problems: string[]
}

/** Groups CallScheduled events into operations: one per (timelock, id), calls in index order. */
export function groupScheduled(events: GovernanceEvent[]): ScheduledOperation[] {
  const ops = new Map<string, ScheduledOperation & { seen: Map<bigint, Call> }>()
  for (const e of events) {
    if (e.kind !== 'call-scheduled') continue
    const key = `${e.timelock.toLowerCase()}:${e.operationId}`
    let op = ops.get(key)
    if (!op) {
      op = {
        timelock: e.timelock,
        operationId: e.operationId,
        calls: [],
        predecessor: e.predecessor,
        delay: e.delay,
        blockNumber: e.blockNumber,
        transactionHash: e.transactionHash,
        problems: [],
        seen: new Map(),
      }
      ops.set(key, op)
    }
    if (op.seen.has(e.index)) op.problems.push(`call ${e.index} was scheduled twice`)
    op.seen.set(e.index, e.call)
  }
  return [...ops.values()].map(({ seen, ...op }) => {
    const indexes = [...seen.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    indexes.forEach((index, i) => {
      if (index !== BigInt(i)) op.problems.push(`call ${i} of the batch is missing`)
    })
    return { ...op, calls: indexes.map((i) => seen.get(i) as Call) }
  })
}

/**
 * The events of `addresses` in `from..to`, read in ranges the RPC accepts and decoded; logs
 * that are not governance events are skipped.
 */
export async function readGovernanceEvents(
  client: PublicClient,
  addresses: Address[],
  from: bigint,
  to: bigint,
  maxBlockRange: number,
  filter?: { topics?: Array<Hex | null> },
): Promise<GovernanceEvent[]> {
  const out: GovernanceEvent[] = []
  for (let lo = from; lo <= to; lo += BigInt(maxBlockRange)) {
    const hi = lo + BigInt(maxBlockRange) - 1n < to ? lo + BigInt(maxBlockRange) - 1n : to
    const logs = filter?.topics
      ? (
          (await client.request({
            method: 'eth_getLogs',
            params: [{ address: addresses, fromBlock: toHex(lo), toBlock: toHex(hi), topics: filter.topics }],
          })) as unknown as Array<Record<string, unknown>>
        ).map(rpcLog)
      : await client.getLogs({ address: addresses, fromBlock: lo, toBlock: hi })
    for (const log of logs) {
      const e = decodeGovernanceLog(log)
      if (e) out.push(e)
    }
  }
  return out
}

/** A raw eth_getLogs entry as viem's Log (numbers as bigint). */
function rpcLog(r: Record<string, unknown>): Log {
  return {
    address: r.address as Address,
    topics: r.topics as [Hex, ...Hex[]],
    data: r.data as Hex,
    blockNumber: r.blockNumber ? BigInt(r.blockNumber as string) : null,
    blockHash: (r.blockHash as Hash | null) ?? null,
    transactionHash: (r.transactionHash as Hash | null) ?? null,
    logIndex: r.logIndex ? Number(r.logIndex) : null,
    transactionIndex: r.transactionIndex ? Number(r.transactionIndex) : null,
    removed: Boolean(r.removed),
  } as Log
}
