import type { Abi, Address, Hex } from 'viem'
import type { SafeOperation } from './safe.js'

/** One decoded argument. `value` is as viem decodes it (bigint, address, nested arrays…). */
export type DecodedArg = { name: string; type: string; value: unknown }

export type DecodedFunction = {
  name: string
  /** Canonical signature, e.g. `transfer(address,uint256)`. */
  signature: string
  /** Which ABIs know this function, e.g. `['erc20', 'erc721']`, or `['claimed, unverified']` for a claim. */
  abis: string[]
  args: DecodedArg[]
}

/**
 * How the calls under a node are executed. `multisend`: unpacked from MultiSend's packed bytes;
 * `safe-exec`: a nested Safe's execTransaction; `scheduled`: queued in a timelock, not run now; `proposal`: a governance proposal's calls, run by its executor.
 */
export type NestingKind = 'multisend' | 'safe-exec' | 'scheduled' | 'proposal'

/** A node of the call tree, decoded from raw bytes only. */
export type DecodedCall = {
  /** Position in the tree: `0` for the root, `0.2` for its third inner call, and so on. */
  path: string
  /** The account whose authority makes this call (msg.sender, or the Safe for a delegatecall chain). */
  from: Address
  to: Address
  value: bigint
  data: Hex
  /** 2 (CREATE) only at the root of a legacy Safe's transaction: `data` is init code, not a call. */
  operation: SafeOperation
  selector?: Hex
  function?: DecodedFunction
  /**
   * A source's signature for calldata custos cannot decode itself: it encodes to the bytes, but a
   * 4-byte selector proves nothing, so it is shown as a claim and never used to judge the call.
   */
  claimedFunction?: DecodedFunction
  /** Why this call's data could not be decoded (unknown selector, malformed, too deep, too large). */
  decodeError?: string
  /** Set when the data decodes but is not canonical ABI encoding (trailing or smuggled bytes). */
  decodeWarning?: string
  /** Set when custos reads the target differently from the bytes (a MultiSend zero `to`), and why. */
  redirected?: string
  nesting?: NestingKind
  calls?: DecodedCall[]
}

/** An ABI to add to the built-in ones; `addresses` limits it to calls to those contracts. */
export type AbiSource = { name: string; abi: Abi; addresses?: Address[] }

export type DecodeResult =
  | { ok: true; fn: DecodedFunction; raw: readonly unknown[]; warning?: string }
  | { ok: false; error: string }

/** Selector → candidate functions, merged across ABIs so `transferFrom` shows as erc20/erc721. */
export type FunctionRegistry = {
  decode(to: Address, data: Hex): DecodeResult
  has(selector: Hex): boolean
}
