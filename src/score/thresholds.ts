import { type Address, parseUnits } from 'viem'
import { z } from 'zod'
import type { TokenInfo } from '../model/guard.js'
import { address } from '../model/zod.js'

/** A per-token limit, in whole tokens, as large-transfer and asset-outflow take it. */
export const tokenThreshold = z.object({
  /** Token contract, or `native` for the chain's coin. */
  token: z.union([z.literal('native'), address]),
  /** Largest amount, in whole tokens (e.g. `250000` or `12.5`), a transaction may move without an alert. */
  max: z.string().regex(/^\d+(\.\d+)?$/, 'expected a decimal amount such as 250000 or 12.5'),
  /** Decimals of the token; taken from `tokens` in the config when omitted. */
  decimals: z.number().int().min(0).max(77).optional(),
})
export type TokenThreshold = z.output<typeof tokenThreshold>

/** The threshold in base units. Unknown decimals fail the guard (closed), naming the fix. */
export function thresholdUnits(t: TokenThreshold, tokens: TokenInfo[]): bigint {
  const decimals =
    t.token === 'native'
      ? 18
      : (t.decimals ?? tokens.find((k) => k.address === (t.token as Address))?.decimals)
  if (decimals === undefined)
    throw new Error(`the threshold for ${t.token} has no decimals and the token is not in \`tokens\``)
  return parseUnits(t.max, decimals)
}
