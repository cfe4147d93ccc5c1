import {
  type AbiFunction,
  type AbiParameter,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  type Hex,
  isAddress,
  isHex,
  parseAbiItem,
} from 'viem'
import type { DecodedCall } from '../model/decoded.js'
import { sanitize } from '../model/text.js'
import type { ClaimCheck } from '../model/verification.js'
import { decodeWith, shortReason } from './function-registry.js'

type ClaimedParam = { name?: unknown; type?: unknown; value?: unknown; valueDecoded?: unknown }
type Claim = { method: string; parameters: ClaimedParam[] }

/**
 * Checks a transaction service's `dataDecoded` against the raw calldata by re-encoding the claim:
 * the claim is true only if it encodes to exactly the signed bytes. When the claim is true for a
 * selector custos has no ABI for, the node is decoded with the (now verified) claimed signature.
 */
export function checkClaimedDecoding(node: DecodedCall, claimed: unknown): ClaimCheck[] {
  const checks: ClaimCheck[] = []
  walk(node, claimed, checks)
  // Claimed names and values are the service's words: never let them reach a terminal raw.
  return checks.map((c) => ({ ...c, detail: sanitize(c.detail) }))
}

function walk(node: DecodedCall, claimed: unknown, checks: ClaimCheck[]): void {
  const push = (status: ClaimCheck['status'], detail: string): void => {
    checks.push({ path: node.path, status, detail })
  }
  if (claimed === undefined || claimed === null) return
  const claim = asClaim(claimed)
  if (typeof claim === 'string') return void push('malformed', claim)
  const shown = `${claim.method}(${claim.parameters.map((p) => String(p.type)).join(',')})`
  if (node.data === '0x') return void push('mismatch', `claims ${shown} but the calldata is empty`)

  let item: AbiFunction
  try {
    item = parseAbiItem(
      `function ${claim.method}(${claim.parameters.map(paramText).join(', ')})`,
    ) as AbiFunction
  } catch (cause) {
    return void push('unverifiable', `claimed signature ${shown} cannot be parsed: ${shortReason(cause)}`)
  }
  let args: unknown[]
  try {
    args = item.inputs.map((input, i) => toAbiValue(input, claim.parameters[i]?.value, `parameter ${i}`))
  } catch (cause) {
    return void push('malformed', `claimed values for ${shown} are not valid: ${shortReason(cause)}`)
  }
  let encoded: Hex
  try {
    encoded = encodeFunctionData({ abi: [item], functionName: item.name, args })
  } catch (cause) {
    return void push('malformed', `claimed values for ${shown} do not encode: ${shortReason(cause)}`)
  }
  if (encoded.toLowerCase() !== node.data.toLowerCase()) {
    return void push('mismatch', describeMismatch(node, item, args, encoded))
  }
  push('match', `calldata is exactly ${shown} with the claimed values`)
  if (!node.function && node.decodeError?.startsWith('unknown function selector')) {
    // The selector is a hash of the signature, so an exact re-encoding proves name and types.
    const verified = decodeWith({ item, signature: shown, abis: ['claimed (verified)'] }, node.data)
    if (verified.ok) {
      node.function = verified.fn
      delete node.decodeError
    }
  }
  if (claim.method === 'multiSend' && node.calls)
    checkMultiSendEntries(node, claim.parameters[0]?.valueDecoded, checks)
}

function checkMultiSendEntries(node: DecodedCall, valueDecoded: unknown, checks: ClaimCheck[]): void {
  const calls = node.calls ?? []
  if (valueDecoded === undefined || valueDecoded === null) return
  if (!Array.isArray(valueDecoded)) {
    checks.push({
      path: node.path,
      status: 'malformed',
      detail: 'claimed MultiSend valueDecoded is not a list',
    })
    return
  }
  if (valueDecoded.length !== calls.length) {
    checks.push({
      path: node.path,
      status: 'mismatch',
      detail: `claims ${valueDecoded.length} calls in the MultiSend but the calldata packs ${calls.length}`,
    })
  }
  for (const [i, entry] of valueDecoded.entries()) {
    const call = calls[i]
    if (!call) break
    const e = (entry ?? {}) as Record<string, unknown>
    const problems: string[] = []
    if (Number(e.operation) !== call.operation)
      problems.push(`operation ${String(e.operation)} ≠ ${call.operation}`)
    if (typeof e.to !== 'string' || !isAddress(e.to, { strict: false }) || getAddress(e.to) !== call.to) {
      problems.push(`to ${String(e.to)} ≠ ${call.to}`)
    }
    if (!sameBigint(e.value, call.value)) problems.push(`value ${String(e.value)} ≠ ${call.value}`)
    const data = e.data === null || e.data === undefined ? '0x' : String(e.data).toLowerCase()
    if (data !== call.data.toLowerCase()) problems.push('data differs')
    if (problems.length) {
      checks.push({
        path: call.path,
        status: 'mismatch',
        detail: `claimed MultiSend entry ${i}: ${problems.join('; ')}`,
      })
    } else {
      walk(call, e.dataDecoded, checks)
    }
  }
}

/** `uint256 amount`, with the claimed name only when it is a plain identifier (names are not signed). */
const paramText = (p: ClaimedParam) => {
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

function asClaim(value: unknown): Claim | string {
  if (typeof value !== 'object' || value === null) return 'claimed dataDecoded is not an object'
  const v = value as Record<string, unknown>
  if (typeof v.method !== 'string' || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(v.method)) {
    return 'claimed dataDecoded has no valid method name'
  }
  const params = v.parameters ?? []
  if (!Array.isArray(params)) return 'claimed dataDecoded parameters is not a list'
  for (const [i, p] of params.entries()) {
    if (typeof p !== 'object' || p === null || typeof (p as ClaimedParam).type !== 'string') {
      return `claimed parameter ${i} has no type`
    }
  }
  return { method: v.method, parameters: params as ClaimedParam[] }
}

/** Converts a service-formatted value (strings for numbers, sometimes JSON text) to what viem encodes. */
function toAbiValue(param: AbiParameter, value: unknown, where: string): unknown {
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
      (typeof value === 'string' && /^-?\d+$/.test(value)) ||
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

function describeMismatch(node: DecodedCall, item: AbiFunction, args: unknown[], encoded: Hex): string {
  const claimedSelector = encoded.slice(0, 10)
  const actual = node.function ? node.function.signature : (node.selector ?? node.data.slice(0, 10))
  if (claimedSelector !== node.data.slice(0, 10).toLowerCase()) {
    return `claims ${item.name}(…) (selector ${claimedSelector}) but the calldata calls ${actual}`
  }
  if (node.data.length > encoded.length && node.data.toLowerCase().startsWith(encoded.toLowerCase())) {
    return `calldata carries ${(node.data.length - encoded.length) / 2} bytes beyond what the claim encodes`
  }
  try {
    const real = decodeFunctionData({ abi: [item], data: node.data }).args ?? []
    const diffs = item.inputs
      .map((input, i) => ({ name: input.name || `arg${i}`, claimed: args[i], actual: real[i] }))
      .filter((d) => render(d.claimed) !== render(d.actual))
      .map((d) => `${d.name}: claimed ${render(d.claimed)}, actual ${render(d.actual)}`)
    if (diffs.length) return `arguments differ from the calldata: ${diffs.join('; ')}`
  } catch {
    // fall through to the generic message
  }
  return `claimed ${item.name}(…) does not encode to the signed calldata`
}

const render = (v: unknown): string =>
  clip(
    typeof v === 'string'
      ? v.toLowerCase()
      : (JSON.stringify(v, (_k, x) =>
          typeof x === 'bigint' ? x.toString() : typeof x === 'string' ? x.toLowerCase() : x,
        ) ?? 'undefined'),
  )
const clip = (s: string) => (s.length > 90 ? `${s.slice(0, 87)}…` : s)

const sameBigint = (a: unknown, b: bigint) => {
  try {
    return BigInt(a as string) === b
  } catch {
    return false
  }
}
