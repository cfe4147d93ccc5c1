import {
  type Address,
  getAddress,
  type Hash,
  type Hex,
  hashMessage,
  hexToBigInt,
  recoverAddress,
  serializeSignature,
  size,
  slice,
} from 'viem'
import type { Confirmation } from '../model/safe.js'
import type { SignatureCheck, SignatureKind } from '../model/verification.js'

export type ParsedSignature =
  | { kind: SignatureKind; r: Hex; s: Hex; v: number; contractData?: Hex }
  | { malformed: string }

/**
 * Parses one Safe signature: 65 bytes `r ‖ s ‖ v`, where v says how to read r and s
 * (0: contract, r = owner, s = offset of the EIP-1271 data; 1: approved hash, r = owner;
 * 27/28: ECDSA over the safeTxHash; 31/32: eth_sign over the EIP-191 prefixed safeTxHash).
 */
export function parseSafeSignature(signature: Hex): ParsedSignature {
  const length = size(signature)
  if (length < 65) return { malformed: `signature is ${length} bytes; a Safe signature is at least 65` }
  const r = slice(signature, 0, 32)
  const s = slice(signature, 32, 64)
  const v = Number.parseInt(signature.slice(130, 132), 16)
  if (v === 0) {
    const offset = hexToBigInt(s)
    if (offset < 65n || offset + 32n > BigInt(length)) {
      return { malformed: `contract signature data offset ${offset} is outside the ${length}-byte signature` }
    }
    const dataLength = hexToBigInt(slice(signature, Number(offset), Number(offset) + 32))
    if (offset + 32n + dataLength > BigInt(length)) {
      return {
        malformed: `contract signature declares ${dataLength} bytes of data past the end of the signature`,
      }
    }
    const start = Number(offset) + 32
    const contractData = dataLength === 0n ? '0x' : slice(signature, start, start + Number(dataLength))
    return { kind: 'contract', r, s, v, contractData }
  }
  if (length !== 65) return { malformed: `signature with v=${v} must be exactly 65 bytes, got ${length}` }
  if (v === 1) return { kind: 'approved-hash', r, s, v }
  if (v === 27 || v === 28) return { kind: 'ecdsa', r, s, v }
  if (v === 31 || v === 32) return { kind: 'eth_sign', r, s, v }
  return { malformed: `unknown signature type v=${v} (expected 0, 1, 27, 28, 31 or 32)` }
}

const wordToAddress = (word: Hex): Address | undefined =>
  hexToBigInt(word) >> 160n === 0n ? getAddress(`0x${word.slice(26)}`) : undefined

/**
 * How many confirmations custos checks: a Safe counts at most one per owner, so more than the
 * owners (plus a margin for former owners and mistakes) is padding, and checking each one costs
 * an ECDSA recovery and, with an RPC, a request. The rest is reported, never checked.
 */
export const CONFIRMATION_LIMITS = { margin: 5, hardCap: 100 } as const

/** The number of confirmations to check for a Safe with `owners` owners (unknown without an RPC). */
export const confirmationLimit = (owners?: number): number =>
  Math.min(CONFIRMATION_LIMITS.hardCap, owners === undefined ? Infinity : owners + CONFIRMATION_LIMITS.margin)

/** Recovers who signed each confirmation for exactly `safeTxHash`, without any chain access. */
export async function recoverConfirmations(
  confirmations: Confirmation[],
  safeTxHash: Hash,
): Promise<SignatureCheck[]> {
  // The same signature bytes recover to the same signer: repeats cost one recovery, not one each.
  const recovered = new Map<string, Promise<Recovered>>()
  return Promise.all(
    confirmations.map(async (c, index) => {
      const key = c.signature.toLowerCase()
      let result = recovered.get(key)
      if (!result) {
        result = recoverOne(c.signature, safeTxHash)
        recovered.set(key, result)
      }
      return {
        index,
        signature: c.signature,
        ...(c.owner ? { claimedOwner: c.owner } : {}),
        ...(await result),
      }
    }),
  )
}

type Recovered = Omit<SignatureCheck, 'index' | 'signature' | 'claimedOwner'>

async function recoverOne(signature: Hex, safeTxHash: Hash): Promise<Recovered> {
  const parsed = parseSafeSignature(signature)
  if ('malformed' in parsed) return { malformed: parsed.malformed }
  const check: Recovered = { kind: parsed.kind }
  if (parsed.kind === 'approved-hash' || parsed.kind === 'contract') {
    const signer = wordToAddress(parsed.r)
    if (!signer) return { ...check, malformed: 'r does not hold an address' }
    return parsed.contractData === undefined
      ? { ...check, signer }
      : { ...check, signer, contractData: parsed.contractData }
  }
  // eth_sign signatures carry v + 4 and sign the EIP-191 prefixed hash (Safe's own convention).
  const hash = parsed.kind === 'eth_sign' ? hashMessage({ raw: safeTxHash }) : safeTxHash
  const v = parsed.kind === 'eth_sign' ? parsed.v - 4 : parsed.v
  try {
    const signer = await recoverAddress({
      hash,
      signature: serializeSignature({ r: parsed.r, s: parsed.s, v: BigInt(v) }),
    })
    return { ...check, signer }
  } catch (cause) {
    return {
      ...check,
      malformed: `signature does not recover: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
    }
  }
}
