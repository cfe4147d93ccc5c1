import { type AbiParameter, getAddress, isAddress, isHex } from 'viem'

// The values of a claimed decoding (a transaction service's dataDecoded), as custos reads them:
// converted to what viem encodes, bounded before any work, and rendered for comparison.

/**
 * A lower bound of the ABI encoding of claimed values, counted up to `limit + 1`: every value
 * (each element of a list, each tuple component) takes at least one 32-byte word, and a string
 * at least a quarter of its length (hex bytes take half; JSON text lists far more).
 */
export function atLeastBytes(values: unknown[], limit: number): number {
  let total = 0
  const stack: unknown[] = [...values]
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop()
    if (Array.isArray(v)) {
      // Each element takes a word at least: a list too long for the room needs no walk.
      if (total + v.length * 32 > limit) total += v.length * 32
      else for (const x of v) stack.push(x)
    } else if (v !== null && typeof v === 'object') {
      // A claimed parameter: its value is what encodes; other fields (name, type) do not.
      if ('value' in v) stack.push((v as { value: unknown }).value)
      else for (const x of Object.values(v)) stack.push(x)
    } else {
      total += typeof v === 'string' ? Math.max(32, Math.floor(v.length / 4)) : 32
    }
  }
  return total
}

/** `uint256 amount`, with the claimed name only when it is a plain identifier (names are not signed). */
export const paramText = (p: { name?: unknown; type?: unknown }) => {
  const name =
    typeof p.name === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(p.name) && !RESERVED.has(p.name)
      ? ` ${p.name}`
      : ''
  return `${String(p.type)}${name}`
}
const RESERVED = new Set([
  'address',
  'bool',
  'string',
  'bytes',
  'tuple',
  'function',
  'memory',
  'storage',
  'calldata',
  'indexed',
  'payable',
])

/** Converts a service-formatted value (strings for numbers, sometimes JSON text) to what viem encodes. */
export function toAbiValue(param: AbiParameter, value: unknown, where: string): unknown {
  const type = param.type
  const array = /^(.*)\[(\d*)\]$/.exec(type)
  if (array) {
    const list = typeof value === 'string' ? JSON.parse(value) : value
    if (!Array.isArray(list)) throw new Error(`${where} should be a list`)
    const inner = { ...param, type: array[1] ?? '' } as AbiParameter
    return list.map((v, i) => toAbiValue(inner, v, `${where}[${i}]`))
  }
  if (type === 'tuple') {
    const components = (param as { components?: readonly AbiParameter[] }).components ?? []
    const list = typeof value === 'string' ? JSON.parse(value) : value
    if (!Array.isArray(list)) throw new Error(`${where} should be a tuple list`)
    return components.map((c, i) => toAbiValue(c, list[i], `${where}.${i}`))
  }
  if (type === 'address') {
    if (typeof value !== 'string' || !isAddress(value, { strict: false }))
      throw new Error(`${where} is not an address`)
    return getAddress(value)
  }
  if (/^u?int\d*$/.test(type)) {
    if (typeof value === 'bigint') return value
    if (
      (typeof value === 'string' && value.length <= 80 && /^-?\d+$/.test(value)) ||
      (typeof value === 'number' && Number.isSafeInteger(value))
    ) {
      return BigInt(value)
    }
    throw new Error(`${where} is not an integer`)
  }
  if (type === 'bool') {
    if (value === true || value === 'true' || value === 'True') return true
    if (value === false || value === 'false' || value === 'False') return false
    throw new Error(`${where} is not a boolean`)
  }
  if (type.startsWith('bytes')) {
    if (typeof value !== 'string' || !isHex(value)) throw new Error(`${where} is not hex bytes`)
    return value
  }
  if (type === 'string') {
    if (typeof value !== 'string') throw new Error(`${where} is not a string`)
    return value
  }
  throw new Error(`${where} has unsupported type ${type}`)
}

/** A value as a short, comparable text: lower-case hex and addresses, integers in decimal. */
export const render = (v: unknown): string =>
  clip(
    typeof v === 'string'
      ? v.toLowerCase()
      : typeof v === 'bigint'
        ? v.toString()
        : (JSON.stringify(v, (_k, x) =>
            typeof x === 'bigint' ? x.toString() : typeof x === 'string' ? x.toLowerCase() : x,
          ) ?? 'undefined'),
  )
const clip = (s: string) => (s.length > 90 ? `${s.slice(0, 87)}…` : s)

export const sameBigint = (a: unknown, b: bigint) => {
  try {
    return BigInt(a as string) === b
  } catch {
    return false
  }
}
