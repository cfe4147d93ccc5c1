import { type Address, getAddress, type Hex, hexToBigInt } from 'viem'
import type { Operation } from '../model/safe.js'

export type PackedCall = { operation: Operation; to: Address; value: bigint; data: Hex }

export type UnpackResult =
  | { ok: true; calls: PackedCall[] }
  | { ok: false; error: string; calls: PackedCall[] }

// Each entry: operation (1 byte) ‖ to (20) ‖ value (32) ‖ data length (32) ‖ data.
const HEADER_BYTES = 85

/**
 * Unpacks MultiSend's packed `transactions` bytes. The contract itself trusts the declared
 * lengths and reads past the end when they lie, so any inconsistency is an error here, with the
 * calls that did parse kept for display.
 */
export function unpackMultiSend(packed: Hex, maxCalls: number): UnpackResult {
  const hex = packed.slice(2)
  const total = hex.length / 2
  const calls: PackedCall[] = []
  let pos = 0
  while (pos < total) {
    if (calls.length >= maxCalls)
      return { ok: false, error: `more than ${maxCalls} calls in one MultiSend`, calls }
    if (total - pos < HEADER_BYTES) {
      return {
        ok: false,
        error: `truncated entry at byte ${pos}: ${total - pos} bytes left, a header needs ${HEADER_BYTES}`,
        calls,
      }
    }
    const at = (offset: number, length: number) =>
      `0x${hex.slice((pos + offset) * 2, (pos + offset + length) * 2)}` as Hex
    const op = Number.parseInt(hex.slice(pos * 2, pos * 2 + 2), 16)
    if (op !== 0 && op !== 1)
      return {
        ok: false,
        error: `entry ${calls.length} at byte ${pos} has operation ${op} (only 0 and 1 exist)`,
        calls,
      }
    const declared = hexToBigInt(at(53, 32))
    const left = BigInt(total - pos - HEADER_BYTES)
    if (declared > left) {
      return {
        ok: false,
        error: `entry ${calls.length} at byte ${pos} declares ${declared} bytes of data but only ${left} remain`,
        calls,
      }
    }
    const length = Number(declared)
    calls.push({
      operation: op as Operation,
      to: getAddress(at(1, 20)),
      value: hexToBigInt(at(21, 32)),
      data: at(HEADER_BYTES, length),
    })
    pos += HEADER_BYTES + length
  }
  return { ok: true, calls }
}

/** Packs calls the way MultiSend expects; used by tests and the lab. */
export function packMultiSend(calls: PackedCall[]): Hex {
  const parts = calls.map((c) => {
    const data = c.data.slice(2)
    return [
      c.operation.toString(16).padStart(2, '0'),
      c.to.slice(2).toLowerCase(),
      c.value.toString(16).padStart(64, '0'),
      (data.length / 2).toString(16).padStart(64, '0'),
      data,
    ].join('')
  })
  return `0x${parts.join('')}` as Hex
}
