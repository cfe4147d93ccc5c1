import { z } from 'zod'
import type { Severity } from '../model/severity.js'

// How much of what an account held before a transaction leaves with it: the same scale for a
// Safe (asset-outflow) and a DAO's treasury (treasury-outflow), because a drain is a drain.

const percent = z.number().positive().max(100)

/** The share options, with their defaults; guards spread them into their own schema. */
export const shareOptions = {
  /** Share of the balance of a token (before the transaction) at or above which an outflow is medium. */
  mediumSharePercent: percent.default(5),
  /** Share at or above which an outflow is high. */
  highSharePercent: percent.default(10),
  /** Share at or above which an outflow is critical (the token is drained). */
  criticalSharePercent: percent.default(50),
}
export type ShareOptions = {
  mediumSharePercent: number
  highSharePercent: number
  criticalSharePercent: number
}

/** Basis points of `amount` in `balance` (balance > 0). */
export const shareBps = (amount: bigint, balance: bigint): bigint => (amount * 10_000n) / balance

export const percentBps = (p: number): bigint => BigInt(Math.round(p * 100))

/** The severity of an outflow of `bps` basis points of the balance, or undefined below medium. */
export function shareSeverity(bps: bigint, o: ShareOptions): Severity | undefined {
  if (bps >= percentBps(o.criticalSharePercent)) return 'critical'
  if (bps >= percentBps(o.highSharePercent)) return 'high'
  if (bps >= percentBps(o.mediumSharePercent)) return 'medium'
  return undefined
}

/** `52%`, `7.25%`. */
export const showBps = (b: bigint): string => `${b % 100n === 0n ? b / 100n : (Number(b) / 100).toFixed(2)}%`
