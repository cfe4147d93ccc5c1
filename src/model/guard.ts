import type { Address, Hash, Hex } from 'viem'
import type { z } from 'zod'
import type { Finding } from './finding.js'
import type { GovernanceFacts } from './governance.js'
import type { Proposal } from './proposal.js'
import { SEVERITIES, type Severity } from './severity.js'
import type { SimulationResult } from './simulation.js'
import type { Verification } from './verification.js'

export type AddressBookEntry = { address: Address; name: string; chainId?: number | undefined }
export type TokenInfo = { address: Address; symbol: string; decimals: number; chainId?: number | undefined }

/** What a guard may read. Guards judge; they never act, fetch or read the environment. */
export type GuardContext<Options> = {
  proposal: Proposal
  verification: Verification
  /** Address book entries for this chain. */
  addressBook: AddressBookEntry[]
  /** Known tokens for this chain (symbol and decimals for amounts). */
  tokens: TokenInfo[]
  /** The simulation of the exact signed transaction, when one was asked for (or why it failed). */
  simulation?: SimulationResult | undefined
  /** Other transactions that compete for the same Safe nonce (only one of them can execute). */
  sameNonce: Array<{ safeTxHash: Hash; to: Address; value: bigint; data: Hex; operation: 0 | 1 | 2 }>
  /** For governor proposals and timelock operations: what custos read about them. */
  governance?: GovernanceFacts
  options: Options
}

/** A finding as a guard returns it; the runner adds the guard id. */
export type GuardFinding = Omit<Finding, 'guard'>

export type GuardMeta = {
  /** Equal to the guard's file name in guards/. */
  id: string
  /** One sentence: what it catches. */
  description: string
  appliesTo: Array<'safe' | 'governor' | 'timelock' | 'module'>
  needsSimulation: boolean
  /**
   * Every finding code it can raise, with the worst severity that code can have (as an eslint rule
   * declares its messages). The runner refuses any other code, or a worse severity, as a
   * `guard-error`; `policy.findings` may name only these; docs and `custos guards` read them.
   */
  codes: Record<string, Severity>
}

export type Guard<Schema extends z.ZodType = z.ZodType> = {
  meta: GuardMeta
  /** Options schema; `{}` must parse (every field has a default). */
  options: Schema
  check(ctx: GuardContext<z.output<Schema>>): GuardFinding[] | Promise<GuardFinding[]>
}

/** The code the runner raises for any guard that failed, or broke its declaration. */
export const GUARD_ERROR = 'guard-error'

/** The worst severity a guard's own codes can have (what docs and `custos guards` show). */
export function worstSeverity(meta: Pick<GuardMeta, 'codes'>): Severity {
  const declared = Object.values(meta.codes)
  return SEVERITIES.filter((s) => declared.includes(s)).at(-1) ?? 'info'
}

/** Identity helper that gives a guard's `check` its typed options. */
export const defineGuard = <Schema extends z.ZodType>(guard: Guard<Schema>): Guard<Schema> => guard
