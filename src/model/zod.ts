import { type Address, getAddress, type Hex, isAddress, isHex } from 'viem'
import { z } from 'zod'

const MAX_UINT256 = 2n ** 256n - 1n

/**
 * A 20-byte address. All-lowercase and all-uppercase are accepted as is; mixed case must carry a
 * valid EIP-55 checksum (a wrong checksum usually means a typo or a tampered address).
 * Normalised to the checksummed form.
 */
export const address = z
  .string({ error: 'expected an address string' })
  .refine((s) => /^0x[0-9a-fA-F]{40}$/.test(s), {
    message: 'expected a 20-byte hex address (0x + 40 hex digits)',
  })
  .refine((s) => isAddress(s, { strict: true }), { message: 'address has an invalid EIP-55 checksum' })
  .transform((s): Address => getAddress(s))

/** Hex bytes (`0x` + an even number of hex digits). */
export const hexBytes = z
  .string({ error: 'expected a hex string' })
  .refine((s) => isHex(s, { strict: true }) && s.length % 2 === 0, {
    message: 'expected 0x-prefixed hex bytes with an even number of digits',
  })
  .transform((s) => s.toLowerCase() as Hex)

export const bytes32 = hexBytes.refine((s) => s.length === 66, { message: 'expected 32 bytes of hex' })

/** A uint256 given as a JSON integer or a decimal string (APIs use both). */
export const uint256 = z
  .union([z.string(), z.number(), z.bigint()], {
    error: 'expected an unsigned integer (number or decimal string)',
  })
  .transform((v, ctx): bigint => {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected an integer that fits exactly in a JSON number; use a decimal string',
      })
      return z.NEVER
    }
    if (typeof v === 'string' && !/^\d+$/.test(v.trim())) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a decimal unsigned integer, got "${v.slice(0, 40)}"`,
      })
      return z.NEVER
    }
    const n = BigInt(typeof v === 'string' ? v.trim() : v)
    if (n < 0n || n > MAX_UINT256) {
      ctx.addIssue({ code: 'custom', message: 'expected a value between 0 and 2^256-1' })
      return z.NEVER
    }
    return n
  })

/** Formats zod issues as `path: message` lines (`chains.1.rpc[0]: …`), as config and input errors show them. */
export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    let path = prefix
    for (const key of issue.path) {
      path += typeof key === 'number' ? `[${key}]` : path ? `.${String(key)}` : String(key)
    }
    return `${path || '(root)'}: ${issue.message}`
  })
}
