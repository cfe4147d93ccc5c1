import type { Address, Hex, PublicClient } from 'viem'
import type { CheckResult, SimulatedCall } from '../model/check.js'
import type { BatchReader } from '../sources/multicall.js'
import {
  evaluateRound,
  firstReads,
  followUpReads,
  needsFees,
  type PlannedCheck,
  simulations,
} from '../watchdogs/round.js'

// One round of a protocol's checks, from the chain to each check's result: the reads in one batch
// (and the few that depend on them in a second), the pause path simulated on the fork, the fees
// when a check needs them; then the pure evaluation. The watch loop and `custos check` share it.

export type RoundDeps = {
  client: PublicClient
  reader: BatchReader
  /** The pause path on the fork (see Simulator.simulateCall). */
  simulate(call: { from: Address; to: Address; data: Hex; minBlock: bigint }): Promise<SimulatedCall>
}

export type Round = {
  block: bigint
  /** The block's timestamp (s). */
  timestamp: bigint
  results: Map<string, CheckResult>
  /** RPC requests the round made, besides the block number and the simulations. */
  requests: number
}

export async function runRound(
  deps: RoundDeps,
  planned: readonly PlannedCheck[],
  block: bigint,
): Promise<Round> {
  const first = await deps.reader.read(firstReads(planned), block)
  const results = new Map(first.results)
  let requests = first.requests
  const more = followUpReads(planned, results)
  if (more.length) {
    const second = await deps.reader.read(more, block, { timestamp: false })
    for (const [k, v] of second.results) results.set(k, v)
    requests += second.requests
  }
  const [simulated, maxFeePerGas] = await Promise.all([
    Promise.all(
      simulations(planned).map(async (s) => [s.id, await deps.simulate({ ...s, minBlock: block })] as const),
    ),
    needsFees(planned) ? fees(deps.client) : Promise.resolve(undefined),
  ])
  if (needsFees(planned)) requests++
  return {
    block,
    timestamp: first.timestamp,
    results: evaluateRound(planned, {
      block,
      timestamp: first.timestamp,
      results,
      simulated: new Map(simulated),
      ...(maxFeePerGas !== undefined ? { maxFeePerGas } : {}),
    }),
    requests,
  }
}

/** The largest fee per gas a transaction would offer now; undefined when the node cannot say. */
async function fees(client: PublicClient): Promise<bigint | undefined> {
  try {
    const f = await client.estimateFeesPerGas()
    return f.maxFeePerGas ?? f.gasPrice
  } catch {
    try {
      return await client.getGasPrice()
    } catch {
      return undefined
    }
  }
}
