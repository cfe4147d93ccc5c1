import type { Address, Hash, PublicClient } from 'viem'
import { flattenCalls } from '../model/calls.js'
import type { DecodedCall } from '../model/decoded.js'
import type { GovernanceFacts, SimulationSummary } from '../model/governance.js'
import {
  type Call,
  type GovernorOrigin,
  type Proposal,
  proposalId,
  type TimelockOrigin,
} from '../model/proposal.js'
import type { GovernanceReport } from '../model/report.js'
import type { SimulationResult } from '../model/simulation.js'
import type { Verification } from '../model/verification.js'
import { labelsFor, type Runtime } from '../pipeline.js'
import { aggregateRisk, sortFindings } from '../score/risk.js'
import { runGuards } from '../score/run-guards.js'
import { BATCH_SENDER, EXECUTOR_SHADOW } from '../simulate/batcher.js'
import type { Simulator } from '../simulate/index.js'
import { flattenTrace } from '../simulate/trace.js'
import type { GovernanceEvent, ScheduledOperation } from '../sources/governance.js'
import {
  readCodePins,
  readGovernanceParams,
  readGovernorProposal,
  readGovernorStatus,
  readPastRecipients,
  readTimelockOperation,
  readTimelockStatus,
  readTreasury,
  type ScanOptions,
} from '../sources/governance-chain.js'
import { decodeCallTree } from '../verify/decode.js'
import { officialContracts } from '../verify/official.js'

export type GovernanceTarget =
  | { kind: 'governor'; governor: Address; proposalId: bigint }
  | { kind: 'timelock'; timelock: Address; operationId: Hash }

/** A governance proposal as its events gave it: what the watch loop hands to inspect. */
export type GovernanceItem = { origin: GovernorOrigin | TimelockOrigin; calls: Call[] }

export type GovernanceInspect = {
  /** Where to find it (its events are searched back from the head), or the proposal its events gave. */
  find: GovernanceTarget | GovernanceItem
  client: PublicClient
  scan: ScanOptions
  simulate?: { simulator: Simulator; upstreams: string[] }
  /** How far back to read the executor's transfer history for first-time recipients (blocks). */
  recipientsLookback?: number
  /** The first simulation of this proposal (the watch loop keeps it), to report drift against. */
  firstSimulation?: SimulationSummary
  /**
   * Code hashes the watch loop recorded when it first saw the proposal: they pin the code when
   * the node cannot say what it was at the creation block (no archive).
   */
  recordedPins?: Array<{ address: string; now: string | null }>
}

/** The proposal a governor's ProposalCreated event describes. */
export function governorItem(
  e: Extract<GovernanceEvent, { kind: 'proposal-created' }>,
  flavor: 'oz' | 'bravo' = 'oz',
): GovernanceItem {
  return {
    origin: {
      kind: 'governor',
      governor: e.governor,
      proposalId: e.proposalId,
      flavor,
      description: e.description,
      proposer: e.proposer,
      createdBlock: e.blockNumber,
      voteEnd: e.voteEnd,
      ...(e.problems.length ? { problems: e.problems } : {}),
    },
    calls: e.calls,
  }
}

/** The operation a TimelockController's CallScheduled events describe. */
export function timelockItem(op: ScheduledOperation): GovernanceItem {
  return {
    origin: {
      kind: 'timelock',
      timelock: op.timelock,
      operationId: op.operationId,
      eta: 0n,
      createdBlock: op.blockNumber,
      ...(op.problems.length ? { problems: op.problems } : {}),
    },
    calls: op.calls,
  }
}

/** Reads the proposal's events when only its id is known (the CLI). */
async function find(client: PublicClient, t: GovernanceTarget, scan: ScanOptions): Promise<GovernanceItem> {
  if (t.kind === 'governor') {
    const p = await readGovernorProposal(client, t.governor, t.proposalId, scan)
    const item = governorItem(p, p.flavor)
    return { ...item, origin: { ...(item.origin as GovernorOrigin), ...(p.eta ? { eta: p.eta } : {}) } }
  }
  const op = await readTimelockOperation(client, t.timelock, t.operationId, scan)
  return timelockItem(op)
}

/**
 * status → simulate → facts → guards → risk, for one governor proposal or timelock operation.
 * Nothing a proposer or an indexer claims is used: the calls come from the chain's own events,
 * and everything else from the chain's state.
 */
export async function inspectGovernance(rt: Runtime, input: GovernanceInspect): Promise<GovernanceReport> {
  const { client } = input
  const chainId = await client.getChainId()
  const item = 'origin' in input.find ? input.find : await find(client, input.find, input.scan)
  const problems: string[] = [...(item.origin.problems ?? [])]
  let proposal: Proposal
  let facts: Omit<GovernanceFacts, 'params' | 'code' | 'treasury' | 'problems'>
  // An OpenZeppelin governor behind a timelock that calls itself (onlyGovernance) is simulated
  // through its real lifecycle; everything else as calls from the executor.
  let lifecycle: { governor: Address; description: string } | undefined
  const o = item.origin
  if (o.kind === 'governor') {
    const status = await readGovernorStatus(client, o.governor, o.proposalId, o.eta)
    const origin: GovernorOrigin = {
      ...o,
      flavor: status.flavor,
      ...(status.eta ? { eta: status.eta } : {}),
    }
    proposal = {
      id: proposalId(chainId, origin),
      chainId,
      origin,
      executor: status.executor,
      calls: item.calls,
      claimed: { description: o.description },
    }
    if (status.flavor === 'oz' && status.timelock && item.calls.some((c) => c.to === o.governor))
      lifecycle = { governor: o.governor, description: o.description }
    facts = {
      flavor: status.flavor,
      governor: o.governor,
      ...(status.timelock ? { timelock: status.timelock } : {}),
      executor: status.executor,
      createdBlock: o.createdBlock,
      ...(o.proposer ? { proposer: o.proposer } : {}),
      description: o.description,
      ...(status.state ? { state: status.state } : {}),
      voteEnd: o.voteEnd,
      ...(status.eta ? { eta: status.eta } : {}),
    }
  } else {
    const status = await readTimelockStatus(client, o.timelock, o.operationId)
    const origin: TimelockOrigin = { ...o, eta: status.eta ?? 0n }
    proposal = {
      id: proposalId(chainId, origin),
      chainId,
      origin,
      executor: o.timelock,
      calls: item.calls,
      claimed: {},
    }
    facts = {
      flavor: 'timelock',
      timelock: o.timelock,
      executor: o.timelock,
      createdBlock: o.createdBlock,
      state: status.state,
      ...(status.eta ? { eta: status.eta } : {}),
    }
  }

  const call = proposalTree(proposal, o.kind === 'governor' ? o.governor : o.timelock, rt)
  const verification: Verification = {
    call,
    signatures: [],
    claims: [],
    official: officialContracts(chainId),
  }
  const onChain = (entry: { chainId?: number | undefined }) =>
    entry.chainId === undefined || entry.chainId === chainId
  const addressBook = rt.config.addressBook.filter(onChain)
  const tokens = rt.config.tokens.filter(onChain)
  // What does not depend on the simulation is read while it runs: the targets' code pins, the
  // parameters, the executor's transfer history.
  const targets = new Set(proposal.calls.map((c) => c.to))
  const targetProblems: string[] = []
  const targetPins = settled(
    readCodePins(
      client,
      [...targets].map((a) => ({ address: a, target: true })),
      facts.createdBlock,
      targetProblems,
    ),
  )
  const paramsRead = readGovernanceParams(client, {
    ...(facts.governor ? { governor: facts.governor } : {}),
    ...(facts.timelock ? { timelock: facts.timelock } : {}),
    flavor: facts.flavor,
  })
  const recipientsRead = settled(
    (async () => {
      const head = await client.getBlockNumber()
      const lookback = BigInt(input.recipientsLookback ?? 200_000)
      return readPastRecipients(
        client,
        proposal.executor,
        head > lookback ? head - lookback : 0n,
        head,
        input.scan.maxBlockRange,
      )
    })(),
  )
  const simulation: SimulationResult | undefined = input.simulate
    ? await input.simulate.simulator.simulateGovernance(chainId, input.simulate.upstreams, {
        chainId,
        executor: proposal.executor,
        calls: proposal.calls,
        registry: rt.registry,
        tokens,
        minBlock: facts.createdBlock,
        ...(lifecycle ? { lifecycle } : {}),
      })
    : undefined

  // Every target, and every contract the simulation touched, is pinned to its code.
  const touched = new Set<Address>()
  if (simulation?.ok)
    for (const f of flattenTrace(simulation.simulation.trace))
      if (
        !targets.has(f.to) &&
        f.to !== BATCH_SENDER &&
        f.to !== EXECUTOR_SHADOW &&
        f.to !== proposal.executor
      )
        touched.add(f.to)
  const touchedProblems: string[] = []
  const pinned = await targetPins
  if ('error' in pinned) throw pinned.error
  const code = [
    ...pinned.value,
    ...(await readCodePins(
      client,
      [...touched].map((a) => ({ address: a, target: false })),
      facts.createdBlock,
      touchedProblems,
    )),
  ]
  problems.push(...targetProblems, ...touchedProblems)
  // Balances of what leaves the executor: in the simulation, and in the calldata's transfers
  // (so that a proposal judged without a simulation still has its share of the treasury).
  for (const pin of code) {
    const recorded = pin.unpinned
      ? input.recordedPins?.find((r) => r.address.toLowerCase() === pin.address.toLowerCase())
      : undefined
    if (recorded) {
      pin.atCreation = recorded.now as GovernanceFacts['code'][number]['atCreation']
      delete pin.unpinned
    }
  }
  const outflowTokens: Array<Address | 'native'> = simulation?.ok
    ? simulation.simulation.assetChanges
        .filter((c) => c.from === proposal.executor)
        .map((c) => c.token ?? ('native' as const))
    : []
  for (const c of flattenCalls(call))
    if (
      c.from === proposal.executor &&
      (c.function?.signature === 'transfer(address,uint256)' ||
        c.function?.signature === 'transferFrom(address,address,uint256)')
    )
      outflowTokens.push(c.to)
  const treasury = await readTreasury(client, proposal.executor, ['native', ...outflowTokens])
  const params = await paramsRead
  const recipients = await recipientsRead
  const pastRecipients = 'value' in recipients ? recipients.value : undefined
  if ('error' in recipients)
    problems.push(
      `could not read the executor's transfer history: ${(recipients.error as Error).message.split('\n')[0]}`,
    )
  const governance: GovernanceFacts = {
    ...facts,
    params,
    code,
    treasury,
    ...(pastRecipients ? { pastRecipients } : {}),
    ...(input.firstSimulation ? { firstSimulation: input.firstSimulation } : {}),
    problems,
  }

  const findings = sortFindings(
    await runGuards(
      rt.guards,
      { proposal, verification, addressBook, tokens, simulation, sameNonce: [], governance },
      { timeoutMs: rt.config.guardTimeoutMs },
    ),
  )
  return {
    proposal,
    governance,
    ...(simulation ? { simulation } : {}),
    call,
    signatures: [],
    claims: [],
    findings,
    risk: aggregateRisk(findings),
    labels: {
      ...labelsFor(
        verification,
        {
          addressBook,
          tokens,
          official: verification.official,
          executor: proposal.executor,
          executorName: facts.flavor === 'timelock' || facts.timelock ? 'the timelock' : 'the governor',
        },
        simulation,
      ),
      [EXECUTOR_SHADOW]: "the executor's code (moved aside by the simulation)",
      [BATCH_SENDER]: 'the simulation (runs the proposal)',
    },
    checkedAt: new Date().toISOString(),
  }
}

/** A promise's outcome, kept until it is awaited (a read running alongside the simulation). */
const settled = <T>(p: Promise<T>): Promise<{ value: T } | { error: unknown }> =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )

/** The proposal as a call tree: a root (the governor or timelock) whose calls the executor makes. */
function proposalTree(proposal: Proposal, root: Address, rt: Runtime): DecodedCall {
  const calls = proposal.calls.map((c, i) =>
    repath(
      decodeCallTree(
        {
          from: proposal.executor,
          to: c.to,
          value: c.value,
          data: c.data,
          operation: c.operation === 'delegatecall' ? 1 : 0,
        },
        rt.registry,
        rt.limits,
      ),
      `0.${i}`,
    ),
  )
  return {
    path: '0',
    from: proposal.executor,
    to: root,
    // The root only groups the calls: the value is in each of them (and counted there once).
    value: 0n,
    data: '0x',
    operation: 0,
    nesting: 'proposal',
    calls,
  }
}

/** The same tree with its root at `path` (decodeCallTree numbers from `0`). */
function repath(node: DecodedCall, path: string): DecodedCall {
  return {
    ...node,
    path,
    ...(node.calls ? { calls: node.calls.map((c, i) => repath(c, `${path}.${i}`)) } : {}),
  }
}
