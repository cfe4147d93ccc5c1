import { type Address, getAddress, type Hex, hexToBigInt, pad } from 'viem'
import type { AccountDiff, StorageChange } from '../model/simulation.js'

type RawAccount = { balance?: string; nonce?: number; code?: string; storage?: Record<string, string> }
/** prestateTracer output with `diffMode: true`: accounts before and after, changed fields only. */
export type RawPrestateDiff = { pre?: Record<string, RawAccount>; post?: Record<string, RawAccount> }

const ZERO = pad('0x00')

/**
 * Per-account changes. In diff mode a slot missing from `pre` was zero before, and a slot missing
 * from `post` is zero after; both are made explicit here.
 */
export function parsePrestateDiff(raw: RawPrestateDiff): AccountDiff[] {
  const pre = raw.pre ?? {}
  const post = raw.post ?? {}
  const addresses = new Set([...Object.keys(pre), ...Object.keys(post)].map((a) => a.toLowerCase()))
  const find = (side: Record<string, RawAccount>, a: string) =>
    side[a] ?? Object.entries(side).find(([k]) => k.toLowerCase() === a)?.[1]
  const out: AccountDiff[] = []
  for (const a of addresses) {
    const before = find(pre, a) ?? {}
    const after = find(post, a)
    const diff: AccountDiff = { address: getAddress(a) as Address, storage: [] }
    if (after?.balance !== undefined && after.balance !== before.balance) {
      diff.balance = {
        before: before.balance ? hexToBigInt(before.balance as Hex) : 0n,
        after: hexToBigInt(after.balance as Hex),
      }
    }
    if (after?.nonce !== undefined && after.nonce !== before.nonce)
      diff.nonce = { before: before.nonce ?? 0, after: after.nonce }
    if (after?.code !== undefined && after.code !== before.code)
      diff.code = { before: (before.code ?? '0x') as Hex, after: after.code as Hex }
    // An account that is in `pre` but not in `post` was not changed, except by a selfdestruct,
    // which the trace reports; only slots present on either side with different values count.
    if (after) {
      const slots = new Set([...Object.keys(before.storage ?? {}), ...Object.keys(after.storage ?? {})])
      for (const slot of slots) {
        const b = norm(before.storage?.[slot])
        const v = norm(after.storage?.[slot])
        if (b !== v) diff.storage.push({ slot: norm(slot), before: b, after: v } satisfies StorageChange)
      }
    }
    if (diff.balance || diff.nonce || diff.code || diff.storage.length) out.push(diff)
  }
  return out
}

const norm = (v: string | undefined): Hex => (v ? pad(v.toLowerCase() as Hex) : ZERO)

/** The value of a 32-byte word read as an address, when it is one. */
export function wordToAddress(word: Hex): Address | undefined {
  const n = hexToBigInt(word)
  return n >> 160n === 0n ? (getAddress(`0x${word.slice(-40)}`) as Address) : undefined
}
