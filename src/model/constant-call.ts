import {
  type AbiFunction,
  type AbiParameter,
  encodeFunctionData,
  getAddress,
  type Hex,
  isAddress,
  parseAbiItem,
} from 'viem'
import { InputError } from './errors.js'

// A call written in the configuration: a function signature and constant arguments as YAML gives
// them (numbers, decimal strings, booleans, addresses, hex). The protocol watchdogs read views this
// way, and the circuit breaker's pause calls are spelled out this way.

/**
 * A function from a signature such as `pause()`, `pause(bool,bool)`, `getReserves() returns (int256)`
 * or `function balanceOf(address owner) view returns (uint256)`.
 */
export function parseFunction(signature: string): AbiFunction {
  const text = signature.trim().replace(/^function\s+/, '')
  let item: unknown
  try {
    item = parseAbiItem(`function ${text}`)
  } catch (cause) {
    throw new InputError(`not a function signature: ${text.slice(0, 80)}`, { cause })
  }
  const fn = item as AbiFunction
  if (fn.type !== 'function') throw new InputError(`not a function signature: ${text.slice(0, 80)}`)
  return fn
}

/** A YAML constant as the ABI type wants it; throws InputError naming what is wrong. */
export function constantArg(type: string, value: unknown, where: string): unknown {
  const fail = (what: string): never => {
    throw new InputError(`${where}: expected ${what} for ${type}`)
  }
  const array = /^(.*)\[(\d*)\]$/.exec(type)
  if (array) {
    const [, inner = '', size] = array
    if (!Array.isArray(value)) return fail('a list')
    if (size && value.length !== Number(size)) return fail(`a list of ${size}`)
    return value.map((v, i) => constantArg(inner, v, `${where}[${i}]`))
  }
  if (type === 'bool') return typeof value === 'boolean' ? value : fail('true or false')
  if (type === 'address')
    return typeof value === 'string' && isAddress(value, { strict: false })
      ? getAddress(value)
      : fail('an address')
  if (type === 'string') return typeof value === 'string' ? value : fail('a string')
  const int = /^(u?)int(\d*)$/.exec(type)
  if (int) {
    const n =
      typeof value === 'number' && Number.isSafeInteger(value)
        ? BigInt(value)
        : typeof value === 'string' && /^-?\d+$/.test(value.trim())
          ? BigInt(value.trim())
          : fail('an integer (a number, or a decimal string for large values)')
    const bits = BigInt(int[2] || '256')
    const [lo, hi] = int[1] ? [0n, 2n ** bits - 1n] : [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n]
    return n >= lo && n <= hi ? n : fail(`an integer from ${lo} to ${hi}`)
  }
  const bytes = /^bytes(\d*)$/.exec(type)
  if (bytes) {
    const size = bytes[1] ? Number(bytes[1]) : undefined
    if (typeof value !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(value)) return fail('0x hex bytes')
    if (size !== undefined && value.length !== 2 + size * 2) return fail(`${size} bytes of hex`)
    return value.toLowerCase() as Hex
  }
  return fail('a type custos can write in a configuration (no tuples)')
}

/** The calldata of `signature` with constant `args`, or an InputError saying which argument is wrong. */
export function encodeConstantCall(
  signature: string,
  args: readonly unknown[],
): { fn: AbiFunction; args: unknown[]; data: Hex } {
  const fn = parseFunction(signature)
  if (args.length !== fn.inputs.length)
    throw new InputError(`${fn.name} takes ${fn.inputs.length} argument(s), ${args.length} given`)
  const values = fn.inputs.map((input: AbiParameter, i) => constantArg(input.type, args[i], `args[${i}]`))
  const data = encodeFunctionData({ abi: [fn], functionName: fn.name, args: values })
  return { fn, args: values, data }
}

/** `pause(bool,bool)` for people: the canonical signature. */
export const signatureOf = (fn: AbiFunction) => `${fn.name}(${fn.inputs.map((i) => i.type).join(',')})`
