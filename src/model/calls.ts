import type { Address } from 'viem'
import type { DecodedArg, DecodedCall } from './decoded.js'

/** Depth-first list of every node in the call tree, root first. */
export function flattenCalls(call: DecodedCall): DecodedCall[] {
  const out: DecodedCall[] = []
  const walk = (c: DecodedCall) => {
    out.push(c)
    for (const child of c.calls ?? []) walk(child)
  }
  walk(call)
  return out
}

/** Every address appearing in a call's decoded arguments, arrays and tuples included. */
export function argAddresses(args: DecodedArg[]): Address[] {
  const out: Address[] = []
  const walk = (type: string, value: unknown) => {
    if (type === 'address' && typeof value === 'string') out.push(value as Address)
    else if (type.endsWith(']') && Array.isArray(value)) {
      const inner = type.slice(0, type.lastIndexOf('['))
      for (const v of value) walk(inner, v)
    } else if (type.startsWith('(') && Array.isArray(value)) {
      const parts = splitTuple(type.slice(1, type.lastIndexOf(')')))
      for (const [i, t] of parts.entries()) walk(t, value[i])
    }
  }
  for (const a of args) walk(a.type, a.value)
  return out
}

function splitTuple(inner: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '(') depth++
    else if (inner[i] === ')') depth--
    else if (inner[i] === ',' && depth === 0) {
      parts.push(inner.slice(start, i))
      start = i + 1
    }
  }
  if (inner.length) parts.push(inner.slice(start))
  return parts
}
