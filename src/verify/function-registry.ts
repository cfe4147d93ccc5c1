import {
  type AbiFunction,
  type Address,
  decodeFunctionData,
  encodeFunctionData,
  type Hex,
  toFunctionSelector,
} from 'viem'
import { formatAbiItem } from 'viem/utils'
import type {
  AbiSource,
  DecodedArg,
  DecodedFunction,
  DecodeResult,
  FunctionRegistry,
} from '../model/decoded.js'

type Entry = { item: AbiFunction; signature: string; abis: string[]; onlyAt?: Set<Address> }

export function createFunctionRegistry(sources: AbiSource[]): FunctionRegistry {
  const bySelector = new Map<Hex, Entry[]>()
  for (const source of sources) {
    const onlyAt = source.addresses?.length ? new Set(source.addresses) : undefined
    for (const item of source.abi) {
      if (item.type !== 'function') continue
      const selector = toFunctionSelector(item)
      const signature = formatAbiItem(item)
      const entries = bySelector.get(selector) ?? []
      const same = entries.find((e) => e.signature === signature && sameScope(e.onlyAt, onlyAt))
      if (same) {
        if (!same.abis.includes(source.name)) same.abis.push(source.name)
      } else {
        entries.push({ item, signature, abis: [source.name], ...(onlyAt ? { onlyAt } : {}) })
      }
      bySelector.set(selector, entries)
    }
  }

  return {
    has: (selector) => bySelector.has(selector.toLowerCase() as Hex),
    decode(to, data) {
      const selector = data.slice(0, 10).toLowerCase() as Hex
      const entries = bySelector.get(selector)
      if (!entries) return { ok: false, error: `unknown function selector ${selector}` }
      // Contract-specific ABIs first: they know this contract, the generic ones only guess.
      const candidates = [
        ...entries.filter((e) => e.onlyAt?.has(to)),
        ...entries.filter((e) => e.onlyAt === undefined),
      ]
      let lastError = `no ABI for selector ${selector} applies to ${to}`
      for (const entry of candidates) {
        const result = decodeWith(entry, data)
        if (result.ok) return result
        lastError = result.error
      }
      return { ok: false, error: lastError }
    },
  }
}

const sameScope = (a?: Set<Address>, b?: Set<Address>) =>
  a === b || (a !== undefined && b !== undefined && a.size === b.size && [...a].every((x) => b.has(x)))

/** Decodes with one ABI item and checks the encoding is canonical, so no bytes hide behind it. */
export function decodeWith(
  entry: { item: AbiFunction; signature: string; abis: string[] },
  data: Hex,
): DecodeResult {
  let raw: readonly unknown[]
  try {
    raw = (decodeFunctionData({ abi: [entry.item], data }).args ?? []) as readonly unknown[]
  } catch (cause) {
    return { ok: false, error: `does not decode as ${entry.signature}: ${shortReason(cause)}` }
  }
  const args: DecodedArg[] = entry.item.inputs.map((input, i) => ({
    name: input.name ?? `arg${i}`,
    type: formatType(input),
    value: raw[i],
  }))
  const fn: DecodedFunction = {
    name: entry.item.name,
    signature: entry.signature,
    abis: [...entry.abis],
    args,
  }
  let reencoded: Hex | undefined
  try {
    reencoded = encodeFunctionData({ abi: [entry.item], functionName: entry.item.name, args: raw })
  } catch {
    reencoded = undefined
  }
  if (reencoded?.toLowerCase() !== data.toLowerCase()) {
    const extra = (data.length - (reencoded?.length ?? 0)) / 2
    const warning =
      extra > 0 && reencoded && data.toLowerCase().startsWith(reencoded.toLowerCase())
        ? `${extra} bytes after the ABI-encoded arguments`
        : 'arguments are not in canonical ABI encoding'
    return { ok: true, fn, raw, warning }
  }
  return { ok: true, fn, raw }
}

type Param = { type: string; components?: readonly Param[] }
function formatType(param: Param): string {
  if (!param.type.startsWith('tuple')) return param.type
  const inner = (param.components ?? []).map(formatType).join(',')
  return `(${inner})${param.type.slice('tuple'.length)}`
}

export function shortReason(cause: unknown): string {
  const message =
    cause instanceof Error
      ? ((cause as { shortMessage?: string }).shortMessage ?? cause.message)
      : String(cause)
  return message.split('\n')[0] ?? message
}
