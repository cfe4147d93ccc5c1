import {
  type AbiFunction,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  type Hex,
  isAddress,
  parseAbiItem,
  parseAbiParameter,
} from 'viem'
import { formatAbiItem } from 'viem/utils'
import type { DecodedCall } from '../model/decoded.js'
import { sanitize } from '../model/text.js'
import type { ClaimCheck } from '../model/verification.js'
import { atLeastBytes, paramText, render, sameBigint, toAbiValue } from './claim-values.js'
import { decodeWith, shortReason } from './function-registry.js'

type ClaimedParam = { name?: unknown; type?: unknown; value?: unknown; valueDecoded?: unknown }
type Claim = { method: string; parameters: ClaimedParam[] }

/**
 * Checks a transaction service's `dataDecoded` against the raw calldata by re-encoding the claim:
 * the claim is true only if it encodes to exactly the signed bytes. A claim can add findings,
 * never remove one: for a selector custos has no ABI for, the claimed signature is kept beside the
 * call as a claim (`claimedFunction`) and the call stays undecoded.
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
  checkWhole(node, claim, shown, push)
  // Whatever the outer claim came to, each entry a MultiSend really packs is checked on its own:
  // an outer claim that does not parse must not switch the inner checks off.
  if (claim.method === 'multiSend' && node.nesting === 'multisend' && node.calls)
    checkMultiSendEntries(node, claim.parameters[0]?.valueDecoded, checks)
}

type Push = (status: ClaimCheck['status'], detail: string) => void

/** The claim re-encoded as a whole; when it cannot be, the parts of it that can be read. */
function checkWhole(node: DecodedCall, claim: Claim, shown: string, push: Push): void {
  // Work is bounded by the signed bytes, not by the claim: values that cannot fit in the calldata
  // are a lie, found without parsing or encoding them (a claim may be megabytes of array).
  const room = Math.max(0, (node.data.length - 10) / 2)
  const needs = atLeastBytes(claim.parameters, room)
  if (needs > room) {
    const size = `claims ${claim.method}(…) with values that encode to more than ${needs - 1} bytes, but the calldata has ${room} after the selector`
    return void push('mismatch', [size, ...comparePartly(node, claim)].join('; '))
  }
  let item: AbiFunction
  try {
    item = parseAbiItem(
      `function ${claim.method}(${claim.parameters.map(paramText).join(', ')})`,
    ) as AbiFunction
  } catch (cause) {
    // What a UI shows and custos cannot verify is not a small thing: the bytes may say otherwise.
    push('unverifiable', `claimed signature ${shown} cannot be parsed: ${shortReason(cause)}`)
    return void pushPartly(node, claim, push)
  }
  let args: unknown[]
  try {
    args = item.inputs.map((input, i) => toAbiValue(input, claim.parameters[i]?.value, `parameter ${i}`))
  } catch (cause) {
    push('malformed', `claimed values for ${shown} are not valid: ${shortReason(cause)}`)
    return void pushPartly(node, claim, push)
  }
  let encoded: Hex
  try {
    encoded = encodeFunctionData({ abi: [item], functionName: item.name, args })
  } catch (cause) {
    push('malformed', `claimed values for ${shown} do not encode: ${shortReason(cause)}`)
    return void pushPartly(node, claim, push)
  }
  if (encoded.toLowerCase() !== node.data.toLowerCase()) {
    return void push('mismatch', describeMismatch(node, item, args, encoded))
  }
  const signature = formatAbiItem(item)
  if (node.function?.signature === signature) {
    return void push('match', `calldata is exactly ${signature} with the claimed values`)
  }
  if (node.function) {
    return void push(
      'mismatch',
      `claims ${signature}, which shares its selector with ${node.function.signature} that custos decodes: a selector collision`,
    )
  }
  // The selector is 4 bytes of a hash: anyone can find another signature with the same one in
  // seconds. For a selector custos has no ABI for, the name stays the claim's, shown as such.
  const fn = decodeWith({ item, signature, abis: ['claimed, unverified'] }, node.data)
  if (fn.ok) node.claimedFunction = fn.fn
  push(
    'unconfirmed',
    `calldata encodes as the claimed ${signature}, but a 4-byte selector is not a proof and custos cannot decode it itself (${node.decodeError ?? 'no ABI'}): the name and types are only claimed`,
  )
}

/**
 * For a claim that cannot be re-encoded: its method name, its parameter count and each value
 * that reads as the type the raw bytes have, against what custos decoded from the bytes.
 */
function comparePartly(node: DecodedCall, claim: Claim): string[] {
  const fn = node.function
  if (!fn) return []
  const problems: string[] = []
  if (claim.method !== fn.name)
    problems.push(`claims ${claim.method}(…) but the calldata calls ${fn.signature}`)
  if (claim.parameters.length !== fn.args.length)
    problems.push(
      `claims ${claim.parameters.length} parameters but the calldata calls ${fn.signature} with ${fn.args.length}`,
    )
  const diffs: string[] = []
  const room = Math.max(0, (node.data.length - 10) / 2)
  for (const [i, arg] of fn.args.entries()) {
    const param = claim.parameters[i]
    if (!param) break
    if (atLeastBytes([param.value], room) > room) {
      diffs.push(`${arg.name || `arg${i}`}: claimed a value larger than the whole calldata`)
      continue
    }
    let value: unknown
    try {
      value = toAbiValue(parseAbiParameter(arg.type), param.value, `parameter ${i}`)
    } catch {
      continue // unreadable as this type: the unverifiable claim says so already
    }
    if (render(value) !== render(arg.value))
      diffs.push(`${arg.name || `arg${i}`}: claimed ${render(value)}, actual ${render(arg.value)}`)
  }
  if (diffs.length) problems.push(`arguments differ from the calldata: ${diffs.join('; ')}`)
  return problems
}

function pushPartly(node: DecodedCall, claim: Claim, push: Push): void {
  const problems = comparePartly(node, claim)
  if (problems.length) push('mismatch', problems.join('; '))
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
