import { type Address, type Hash, type Hex, zeroAddress } from 'viem'
import { z } from 'zod'
import { InputError } from '../model/errors.js'
import type { Confirmation, Operation, SafeTx } from '../model/safe.js'
import { address, bytes32, formatIssues, hexBytes, uint256 } from '../model/zod.js'

const operation = z
  .union([z.literal(0), z.literal(1), z.literal('0'), z.literal('1')], {
    error: 'expected 0 (CALL) or 1 (DELEGATECALL)',
  })
  .transform((v): Operation => (Number(v) === 1 ? 1 : 0))

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

/** Parses JSON text with a clear error that names the source and the position. */
export function parseJsonText(text: string, label: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new InputError(`${label} is not valid JSON: ${reason}`, { cause })
  }
}
