import type { Hex } from 'viem'

/** Byte offsets of the opcodes that let a contract vanish or run someone else's code. */
export type OpcodeScan = { selfdestruct: number[]; delegatecall: number[] }

const SELFDESTRUCT = 0xff
const DELEGATECALL = 0xf4
const JUMPDEST = 0x5b
const PUSH1 = 0x60
const PUSH32 = 0x7f
// After these, execution never falls through to the next byte: STOP, JUMP, RETURN, REVERT, INVALID,
// SELFDESTRUCT. What follows is reachable only through a JUMPDEST.
const HALTS = new Set([0x00, 0x56, 0xf3, 0xfd, 0xfe, 0xff])

/**
 * Finds SELFDESTRUCT and DELEGATECALL opcodes that execution can reach, from the code alone.
 *
 * It walks the instructions as the EVM does (PUSH1–PUSH32 immediates are data, never opcodes), and
 * skips dead bytes: after a halting instruction, nothing runs until the next JUMPDEST. The compiler's
 * metadata trailer (a CBOR map whose length is in the last two bytes) is data too; a JUMPDEST inside
 * it revives execution only when the code pushes its offset (a static jump into the trailer), so a
 * hash that happens to hold 0x5b…0xff is not read as code, but a crafted jump into it still counts.
 * A jump computed at run time into such a trailer is beyond a static scan (the simulation sees it).
 */
export function scanOpcodes(code: Hex): OpcodeScan {
  const bytes = toBytes(code)
  const trailer = bytes.length - metadataLength(bytes)
  const pushed = pushedConstants(bytes, trailer)
  const found: OpcodeScan = { selfdestruct: [], delegatecall: [] }
  let live = true
  for (let pc = 0; pc < bytes.length; pc++) {
    const op = bytes[pc] as number
    if (op === JUMPDEST && (pc < trailer || pushed.has(pc))) live = true
    if (live && op === SELFDESTRUCT) found.selfdestruct.push(pc)
    if (live && op === DELEGATECALL) found.delegatecall.push(pc)
    if (HALTS.has(op)) live = false
    if (op >= PUSH1 && op <= PUSH32) pc += op - PUSH1 + 1
  }
  return found
}

/** Tolerant of odd or invalid hex (bad input must not throw): decoding stops at the first bad digit. */
function toBytes(code: Hex): Uint8Array {
  const digits = code.startsWith('0x') ? code.slice(2) : code
  return Buffer.from(digits.length % 2 ? digits.slice(0, -1) : digits, 'hex')
}

/** Length of a Solidity (CBOR map) or Vyper (CBOR array) metadata trailer, length bytes included. */
function metadataLength(bytes: Uint8Array): number {
  if (bytes.length < 2) return 0
  const length = ((bytes[bytes.length - 2] as number) << 8) | (bytes[bytes.length - 1] as number)
  const start = bytes.length - 2 - length
  if (length === 0 || start < 0) return 0
  const head = bytes[start] as number
  const cborMap = head >= 0xa1 && head <= 0xa7
  const cborArray = head >= 0x81 && head <= 0x87
  return cborMap || cborArray ? length + 2 : 0
}

/** Values of the short PUSHes (up to 4 bytes) before `end`: candidates for static jump targets. */
function pushedConstants(bytes: Uint8Array, end: number): Set<number> {
  const out = new Set<number>()
  for (let pc = 0; pc < end; pc++) {
    const op = bytes[pc] as number
    if (op < PUSH1 || op > PUSH32) continue
    const size = op - PUSH1 + 1
    if (size <= 4) {
      let value = 0
      for (let i = 1; i <= size; i++) value = value * 256 + (bytes[pc + i] ?? 0)
      out.add(value)
    }
    pc += size
  }
  return out
}
