import { type Address, type Hash, type Hex, zeroAddress } from 'viem'
import { z } from 'zod'
import { InputError } from '../model/errors.js'
import type { Confirmation, SafeOperation, SafeTx } from '../model/safe.js'
import { address, bytes32, formatIssues, hexBytes, uint256 } from '../model/zod.js'

// 2 (CREATE) exists only in Safe 0.1.0 and 1.0.0; which Safe it is for is checked once the
// version is known (verify), not here.
const operation = z
  .union([z.literal(0), z.literal(1), z.literal(2), z.literal('0'), z.literal('1'), z.literal('2')], {
    error: 'expected 0 (CALL), 1 (DELEGATECALL) or 2 (CREATE, Safe 0.1.0 and 1.0.0 only)',
  })
  .transform((v): SafeOperation => Number(v) as SafeOperation)

const confirmation = z.object({
  owner: address.optional(),
  signature: hexBytes.nullable(),
  signatureType: z.string().optional(),
})

/**
 * A multisig transaction as the Safe Transaction Service returns it
 * (GET /api/v2/multisig-transactions/{safeTxHash}/). Fields custos does not use are ignored;
 * every field it uses is checked, because the service is not trusted.
 */
export const serviceTxSchema = z.object({
  safe: address,
  to: address,
  value: uint256,
  data: hexBytes.nullable().optional(),
  operation,
  safeTxGas: uint256,
  baseGas: uint256,
  gasPrice: uint256,
  gasToken: address.nullable().optional(),
  refundReceiver: address.nullable().optional(),
  nonce: uint256,
  safeTxHash: bytes32.optional(),
  confirmations: z.array(confirmation).nullable().optional(),
  dataDecoded: z.unknown().optional(),
  origin: z.unknown().optional(),
})

export type ServiceTx = {
  tx: SafeTx
  claimedSafeTxHash?: Hash
  confirmations: Confirmation[]
  dataDecoded?: unknown
  origin?: string
}

/** Validates an untrusted service transaction; errors name the offending field. */
export function parseServiceTx(input: unknown, label = 'transaction'): ServiceTx {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InputError(`${label}: expected a JSON object with the Safe transaction fields`)
  }
  const parsed = serviceTxSchema.safeParse(input)
  if (!parsed.success) {
    throw new InputError(`${label} is not a valid Safe transaction: ${formatIssues(parsed.error).join('; ')}`)
  }
  const t = parsed.data
  const tx: SafeTx = {
    safe: t.safe,
    to: t.to,
    value: t.value,
    data: (t.data ?? '0x') as Hex,
    operation: t.operation,
    safeTxGas: t.safeTxGas,
    baseGas: t.baseGas,
    gasPrice: t.gasPrice,
    gasToken: t.gasToken ?? (zeroAddress as Address),
    refundReceiver: t.refundReceiver ?? (zeroAddress as Address),
    nonce: t.nonce,
  }
  const confirmations: Confirmation[] = (t.confirmations ?? []).map((c) => ({
    ...(c.owner ? { owner: c.owner } : {}),
    signature: (c.signature ?? '0x') as Hex,
    ...(c.signatureType ? { signatureType: c.signatureType } : {}),
  }))
  return {
    tx,
    confirmations,
    ...(t.safeTxHash ? { claimedSafeTxHash: t.safeTxHash as Hash } : {}),
    ...(t.dataDecoded !== undefined && t.dataDecoded !== null ? { dataDecoded: t.dataDecoded } : {}),
    ...(typeof t.origin === 'string' ? { origin: t.origin } : {}),
  }
}

/**
 * A file may hold the transaction itself, or wrap it as `{ "tx": {…}, "chainId", "safeVersion" }`
 * (as test corpora and exports do): the wrapper's chain id and version are returned beside it.
 */
export function unwrapTxFile(input: unknown): { tx: unknown; chainId?: number; safeVersion?: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { tx: input }
  const o = input as Record<string, unknown>
  if (typeof o.tx !== 'object' || o.tx === null || 'to' in o) return { tx: input }
  return {
    tx: o.tx,
    ...(typeof o.chainId === 'number' && Number.isSafeInteger(o.chainId) && o.chainId > 0
      ? { chainId: o.chainId }
      : {}),
    ...(typeof o.safeVersion === 'string' ? { safeVersion: o.safeVersion } : {}),
  }
}

/** Deeper than any transaction needs; a claim nested millions deep costs seconds to parse and collect. */
export const MAX_JSON_DEPTH = 512

/** Parses JSON text with a clear error that names the source and the position. */
export function parseJsonText(text: string, label: string): unknown {
  const depth = nestingDepth(text, MAX_JSON_DEPTH)
  if (depth > MAX_JSON_DEPTH)
    throw new InputError(`${label} is nested deeper than ${MAX_JSON_DEPTH} levels: not a transaction`)
  try {
    return JSON.parse(text)
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new InputError(`${label} is not valid JSON: ${reason}`, { cause })
  }
}

/** The deepest nesting of arrays and objects in JSON text (outside strings), counted up to `limit + 1`. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92)
        i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) {
      depth++
      if (depth > deepest) deepest = depth
      if (deepest > limit) return deepest
    } else if (c === 93 || c === 125) depth--
  }
  return deepest
}
