import type { Abi, Address, Hex } from 'viem'
import type { Severity } from './severity.js'

// A protocol watchdog's check: what it asks of the chain (reads, batched through Multicall3 with
// every other check of the round; a simulation for the pause path), and what it concludes.
// Evaluating is pure (watchdogs/), reading is the sources' job, acting the judge's.

export const CHECK_KINDS = ['chainlink-feed', 'paused', 'roles', 'pause-ready', 'invariant'] as const
export type CheckKind = (typeof CHECK_KINDS)[number]

/** A view call a check needs; `key` names it within the check. */
export type ReadCall = {
  key: string
  to: Address
  abi: Abi
  functionName: string
  args?: readonly unknown[]
  /** It does not change (decimals, an aggregator's bounds): read once, then remembered. */
  stable?: boolean
}

/** Its answer: the decoded result, or why it failed (a revert is an answer too, never benign). */
export type ReadResult = { ok: true; value: unknown } | { ok: false; error: string }

/** The pause call made from `from` on a fork of the chain, and the fees of the moment. */
export type SimulatedCall = {
  ok: boolean
  /** Gas it used (0 when it reverted). */
  gas: bigint
  revertReason?: string
  /** The simulation could not run at all (no fork, no RPC): the check cannot say the path works. */
  unavailable?: string
}

/** What the chain said for one round: the block, and each check's reads. */
export type RoundFacts = {
  block: bigint
  /** The block's timestamp (s), read in the same batch: staleness is measured in chain time. */
  timestamp: bigint
  reads: ReadonlyMap<string, ReadResult>
  /** The pause path, for `pause-ready` (see SimulatedCall). */
  simulation?: SimulatedCall
  /** The largest fee per gas a transaction would pay now (wei), for `pause-ready`. */
  maxFeePerGas?: bigint
}

/** One problem a broken check found. */
export type CheckProblem = {
  /** Stable reason, e.g. `stale`, `deviation`, `sequencer-down`, `violated`. */
  code: string
  /** Identity of the problem within the check (`stale`, `unexpected-holder:0xabc…`): a new key is a new problem. */
  key: string
  message: string
  /** How bad, in the code's unit (seconds stale, basis points off, the invariant's measure). */
  measure?: number
}

/** A check's conclusion for one round. */
export type CheckResult = {
  ok: boolean
  problems: CheckProblem[]
  /** What it read, for people (`answer 2000.00000000, updated 40 s ago`). */
  summary: string
  /** What it could not check and why, without being broken (bounds not readable). */
  notes?: string[]
}

/** The calldata of a pause call, for the fork simulation (see `pause-ready`). */
export type PauseCallData = { name: string; target: Address; data: Hex; signature: string }

/** A finding of a check, as the judge and every channel take findings. */
export type CheckFinding = { guard: string; code: string; severity: Severity; message: string }

/** Multicall3's address, the same on every chain that has it (github.com/mds1/multicall). */
export const MULTICALL3: Address = '0xcA11bde05977b3631167028862bE2a173976CA11'
