import type { Address, Hex } from 'viem'
import type { CustosGuardView } from './custos-guard.js'
import type { DecodedArg } from './decoded.js'

export type FrameType =
  | 'CALL'
  | 'DELEGATECALL'
  | 'STATICCALL'
  | 'CALLCODE'
  | 'CREATE'
  | 'CREATE2'
  | 'SELFDESTRUCT'

/** One frame of the executed call tree, as the node traced it. */
export type TraceCall = {
  /** Position in the trace: `0` for the root, `0.1` for its second sub-call. */
  path: string
  type: FrameType
  from: Address
  to: Address
  value: bigint
  input: Hex
  output?: Hex
  gasUsed: bigint
  /** Decoded where an ABI knows the selector. */
  function?: { signature: string; args: DecodedArg[] }
  /** Why the frame reverted (decoded), if it did. */
  error?: string
  calls: TraceCall[]
}

/** An event emitted by a frame that did not revert, decoded where known. */
export type SimLog = {
  index: number
  address: Address
  topics: Hex[]
  data: Hex
  /** Frame that emitted it. */
  path: string
  event?: { signature: string; args: Record<string, unknown> }
}

export type StorageChange = { slot: Hex; before: Hex; after: Hex }

/** What changed in one account, from the node's prestate diff. */
export type AccountDiff = {
  address: Address
  balance?: { before: bigint; after: bigint }
  nonce?: { before: number; after: number }
  code?: { before: Hex; after: Hex }
  storage: StorageChange[]
}

export type SafeField =
  | 'singleton'
  | 'owners'
  | 'threshold'
  | 'nonce'
  | 'modules'
  | 'guard'
  | 'fallbackHandler'
  | 'moduleGuard'
  | 'signedMessages'
  | 'approvedHashes'
  | 'ownerCount'
  | 'storage'

/** A change to the Safe's own state, read from its storage diff (never from events). */
export type SafeChange = {
  field: SafeField
  before: unknown
  after: unknown
  /** For owners and modules: who joined and who left. */
  added?: Address[]
  removed?: Address[]
  /** For owners and modules: entries enabled in the mapping but not reachable in the list (hidden). */
  hidden?: Address[]
  /** For `storage`: a slot custos could not attribute to any Safe field. */
  slot?: Hex
}

export type AssetChange = {
  standard: 'native' | 'erc20' | 'erc721' | 'erc1155'
  /** The token contract; null for the native coin. */
  token: Address | null
  from: Address
  to: Address
  amount: bigint
  tokenId?: bigint
  symbol?: string
  decimals?: number
}

export type BalanceBefore = { holder: Address; token: Address | 'native'; balance: bigint }

export type Approval = {
  standard: 'erc20' | 'erc721' | 'operator'
  token: Address
  owner: Address
  spender: Address
  amount?: bigint
  tokenId?: bigint
  approved?: boolean
}

export type ProxyUpgrade = {
  proxy: Address
  kind: 'implementation' | 'admin' | 'beacon'
  before: Address | null
  after: Address | null
  source: 'storage' | 'event'
}

export type PermissionChange = {
  contract: Address
  /** `ownership-pending`: an Ownable2Step transfer the new owner can now accept. */
  kind: 'ownership' | 'ownership-pending' | 'role-granted' | 'role-revoked' | 'role-admin-changed' | 'admin'
  /** Who gains (or, for a revocation, loses) the permission; absent for role-admin changes. */
  account?: Address
  previous?: Address
  role?: Hex
  /** For role-admin-changed: the role that now administers `role`. */
  adminRole?: Hex
}

export type CodeChange = {
  kind: 'created' | 'selfdestruct'
  address: Address
  by: Address
  beneficiary?: Address
}

export type Simulation = {
  /** `fork`: a local anvil fork of the RPC; `direct`: the RPC node traced it itself. */
  mode: 'fork' | 'direct'
  block: bigint
  /** The account that sent execTransaction (an owner). */
  from: Address
  /** The Safe transaction ran and succeeded (execTransaction did not revert and returned true). */
  success: boolean
  revertReason?: string
  gasUsed: bigint
  /**
   * The Safe nonce on chain, the one the transaction uses, and whether it was overridden to run
   * it (Safe transactions only).
   */
  nonce?: { onChain: bigint; tx: bigint; overridden: boolean; stale: boolean }
  trace: TraceCall
  logs: SimLog[]
  safeChanges: SafeChange[]
  /** Changes to other Safes the transaction runs on (nested Safes), read the same way. */
  nestedSafeChanges: Array<{ safe: Address; changes: SafeChange[] }>
  assetChanges: AssetChange[]
  /**
   * What the executor (the Safe) held, at the simulated block, of each coin and ERC20 token that
   * leaves it: the base of an outflow's share. A token whose balance could not be read is absent.
   */
  balancesBefore?: BalanceBefore[]
  approvals: Approval[]
  proxyUpgrades: ProxyUpgrade[]
  permissionChanges: PermissionChange[]
  codeChanges: CodeChange[]
  storageDiff: AccountDiff[]
  /**
   * The Safe's transaction guard, and whether it blocked this transaction. When it is the custos Guard (by
   * its code hash): whether and when the guard lets the transaction run, from its records at this block.
   */
  guard?: { address: Address; blocked: boolean; custos?: CustosGuardView }
  /** When the guard blocked: what the transaction does with the guard cleared. */
  withoutGuard?: Simulation
  durationMs: number
}

/** Either a simulation, or why there is none (which is itself a finding). */
export type SimulationResult = { ok: true; simulation: Simulation } | { ok: false; error: string }

/**
 * What the guards judge: the transaction as it runs once let through. When the Safe's guard
 * blocked the simulated call (the custos Guard holds every transaction until it is approved or its
 * delay has passed), the run with the guard cleared shows what it does; the blocked run shows
 * nothing, and judging that would lower the risk of a drain to "it reverts".
 */
export function intentOf(result: SimulationResult | undefined): SimulationResult | undefined {
  if (!result?.ok) return result
  const { withoutGuard, ...sim } = result.simulation
  if (!sim.guard?.blocked || !withoutGuard) return result
  return { ok: true, simulation: { ...withoutGuard, guard: sim.guard } }
}
