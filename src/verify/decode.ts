import { type Address, type Hex, zeroAddress } from 'viem'
import type { DecodedCall, FunctionRegistry, NestingKind } from '../model/decoded.js'
import { unpackMultiSend } from '../model/multisend.js'
import type { Operation, SafeOperation } from '../model/safe.js'

export type DecodeLimits = {
  /** Calldata above this many bytes is not decoded (reported instead). */
  maxCalldataBytes: number
  /** Nesting depth (MultiSend in MultiSend, nested Safes…) beyond which calls are not decoded. */
  maxDepth: number
  /** Total calls in one tree beyond which the rest are not decoded. */
  maxCalls: number
}

export const DEFAULT_LIMITS: DecodeLimits = { maxCalldataBytes: 1024 * 1024, maxDepth: 8, maxCalls: 1000 }

type CallInput = {
  from: Address
  to: Address
  value: bigint
  data: Hex
  operation: SafeOperation
  redirected?: string
}
type Child = CallInput & { operation: Operation; nesting: NestingKind }

/**
 * Decodes a call and everything nested in it from the raw bytes alone. Never throws: whatever
 * cannot be decoded is kept with a `decodeError`, so it is reported rather than hidden.
 */
export function decodeCallTree(
  root: CallInput,
  registry: FunctionRegistry,
  limits: DecodeLimits = DEFAULT_LIMITS,
): DecodedCall {
  let budget = limits.maxCalls
  const visit = (input: CallInput, path: string, depth: number): DecodedCall => {
    budget--
    const node: DecodedCall = { path, ...input }
    const bytes = (input.data.length - 2) / 2
    // CREATE (legacy Safes): the data is a contract's init code, which runs no function to decode.
    if (bytes === 0 || input.operation === 2) return node
    if (bytes > limits.maxCalldataBytes) {
      node.decodeError = `calldata is ${bytes} bytes, over the ${limits.maxCalldataBytes}-byte limit: not decoded`
      return node
    }
    if (bytes < 4) {
      node.decodeError = `calldata is ${bytes} bytes, shorter than a 4-byte function selector`
      return node
    }
    node.selector = input.data.slice(0, 10).toLowerCase() as Hex
    const result = registry.decode(input.to, input.data)
    if (!result.ok) {
      node.decodeError = result.error
      return node
    }
    node.function = result.fn
    if (result.warning) node.decodeWarning = result.warning
    const nested = children(node, result.raw)
    if (!nested) return node
    if (depth + 1 > limits.maxDepth) {
      node.decodeError = `nested calls deeper than ${limits.maxDepth} levels: not decoded`
      return node
    }
    if ('error' in nested && nested.error) node.decodeError = nested.error
    node.nesting = nested.kind
    node.calls = []
    for (const [i, child] of nested.calls.entries()) {
      if (budget <= 0) {
        node.decodeError = `more than ${limits.maxCalls} calls in the tree: the rest is not decoded`
        break
      }
      const { nesting: _kind, ...call } = child
      node.calls.push(visit(call, `${path}.${i}`, depth + 1))
    }
    return node
  }
  return visit(root, '0', 0)
}

type Nested = { kind: NestingKind; calls: Child[]; error?: string }

/** The calls a decoded function runs or schedules, for the functions whose bytes carry calls. */
function children(node: DecodedCall, raw: readonly unknown[]): Nested | undefined {
  const fn = node.function
  if (!fn) return undefined
  // Inner calls of a delegatecalled MultiSend come from the caller; of a called one, from MultiSend.
  const self = node.operation === 1 ? node.from : node.to
  const call = (
    to: unknown,
    value: unknown,
    data: unknown,
    operation: Operation = 0,
    nesting: NestingKind,
  ): Child => ({
    from: nesting === 'multisend' ? self : node.to,
    to: to as Address,
    value: value as bigint,
    data: data as Hex,
    operation,
    nesting,
  })
  switch (fn.signature) {
    case 'multiSend(bytes)': {
      const unpacked = unpackMultiSend(raw[0] as Hex, 10_000)
      // MultiSend 1.5.0 sends an entry with a zero `to` to address(this): the caller itself when
      // delegatecalled (the Safe), MultiSend when called. Older versions send it to address 0.
      // Treating it as the caller is the reading that cannot hide a call to the Safe.
      const calls = unpacked.calls.map((c) =>
        c.to === zeroAddress
          ? {
              ...call(self, c.value, c.data, c.operation, 'multisend'),
              redirected: `entry with a zero \`to\`: MultiSend 1.5.0 sends it to ${self}`,
            }
          : call(c.to, c.value, c.data, c.operation, 'multisend'),
      )
      return unpacked.ok
        ? { kind: 'multisend', calls }
        : { kind: 'multisend', calls, error: `malformed MultiSend: ${unpacked.error}` }
    }
    case 'execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)':
    case 'execTransactionFromModule(address,uint256,bytes,uint8)':
    case 'execTransactionFromModuleReturnData(address,uint256,bytes,uint8)': {
      const op = Number(raw[3])
      if (op !== 0 && op !== 1)
        return { kind: 'safe-exec', calls: [], error: `operation ${op} is neither CALL nor DELEGATECALL` }
      return { kind: 'safe-exec', calls: [call(raw[0], raw[1], raw[2], op, 'safe-exec')] }
    }
    case 'schedule(address,uint256,bytes,bytes32,bytes32,uint256)':
      return { kind: 'scheduled', calls: [call(raw[0], raw[1], raw[2], 0, 'scheduled')] }
    case 'execute(address,uint256,bytes,bytes32,bytes32)':
    case 'relay(address,uint256,bytes)':
      return { kind: 'safe-exec', calls: [call(raw[0], raw[1], raw[2], 0, 'safe-exec')] }
    case 'scheduleBatch(address[],uint256[],bytes[],bytes32,bytes32,uint256)':
    case 'propose(address[],uint256[],bytes[],string)':
      return batch(raw, 'scheduled', call)
    case 'executeBatch(address[],uint256[],bytes[],bytes32,bytes32)':
      return batch(raw, 'safe-exec', call)
    default:
      return undefined
  }
}

function batch(
  raw: readonly unknown[],
  kind: NestingKind,
  call: (to: unknown, value: unknown, data: unknown, operation: Operation, nesting: NestingKind) => Child,
): Nested {
  const [targets, values, datas] = raw as [Address[], bigint[], Hex[]]
  const n = Math.min(targets.length, values.length, datas.length)
  const calls = Array.from({ length: n }, (_, i) => call(targets[i], values[i], datas[i], 0, kind))
  const lengths = new Set([targets.length, values.length, datas.length])
  return lengths.size === 1
    ? { kind, calls }
    : {
        kind,
        calls,
        error: `targets, values and calldatas have different lengths (${targets.length}, ${values.length}, ${datas.length})`,
      }
}
