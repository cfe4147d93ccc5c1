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
  .meta({ format: 'address' })

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

/**
 * Formats zod issues as `path: message` lines (`chains.1.rpc[0]: …`), as config and input errors
 * show them. With the schema, an unknown key gets the nearest known one: `did you mean "txService"?`
 */
export function formatIssues(error: z.ZodError, prefix = '', schema?: z.ZodType): string[] {
  return error.issues.map((issue) => {
    let path = prefix
    for (const key of issue.path) {
      path += typeof key === 'number' ? `[${key}]` : path ? `.${String(key)}` : String(key)
    }
    let message = issue.message
    if (schema && issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, issue.path)
      message = issue.keys
        .map((k) => {
          const near = nearest(k, known)
          return `unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ''}`
        })
        .join('; ')
    }
    return `${path || '(root)'}: ${message}`
  })
}

type Def = {
  type: string
  innerType?: z.ZodType
  in?: z.ZodType
  element?: z.ZodType
  valueType?: z.ZodType
  options?: z.ZodType[]
  shape?: Record<string, z.ZodType>
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def

/** The keys an object schema accepts at `path` (through defaults, optionals, arrays, records, unions). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const unwrap = (s: z.ZodType): z.ZodType[] => {
    const d = defOf(s)
    if (d.innerType) return unwrap(d.innerType)
    if (d.type === 'pipe' && d.in) return unwrap(d.in)
    if (d.type === 'union' && d.options) return d.options.flatMap(unwrap)
    return [s]
  }
  let here = unwrap(schema)
  for (const key of path) {
    here = here.flatMap((s) => {
      const d = defOf(s)
      if (d.type === 'object' && typeof key === 'string') {
        const child = d.shape?.[key]
        return child ? unwrap(child) : []
      }
      if (d.type === 'array' && typeof key === 'number' && d.element) return unwrap(d.element)
      if (d.type === 'record' && d.valueType) return unwrap(d.valueType)
      return []
    })
  }
  return [
    ...new Set(here.flatMap((s) => (defOf(s).type === 'object' ? Object.keys(defOf(s).shape ?? {}) : []))),
  ]
}

/** The known word closest to `word`, if it is close enough to be a typo (case-insensitive edit distance). */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: { k: string; d: number } | undefined
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase())
    if (!best || d < best.d) best = { k, d }
  }
  return best && best.d <= Math.max(1, Math.floor(word.length / 3)) ? best.k : undefined
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    prev = row
  }
  return prev[b.length] as number
}
