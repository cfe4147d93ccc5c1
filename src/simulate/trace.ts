import { type Address, getAddress, type Hex, hexToBigInt } from 'viem'
import type { FunctionRegistry } from '../model/decoded.js'
import { decodeLog } from '../model/events.js'
import { decodeRevert } from '../model/revert.js'
import type { FrameType, SimLog, TraceCall } from '../model/simulation.js'
import { sanitize } from '../model/text.js'

type RawLog = { address: string; topics?: string[]; data?: string; position?: string }

/** A frame as geth's (and anvil's) callTracer returns it, with `withLog: true`. */
export type RawFrame = {
  type: string
  from: string
  to?: string
  value?: string
  input?: string
  output?: string
  gasUsed?: string
  error?: string
  revertReason?: string
  calls?: RawFrame[]
  logs?: RawLog[]
}

const FRAME_TYPES = new Set<FrameType>([
  'CALL',
  'DELEGATECALL',
  'STATICCALL',
  'CALLCODE',
  'CREATE',
  'CREATE2',
  'SELFDESTRUCT',
])

/**
 * Turns the callTracer tree into custos's trace, decoding calls where an ABI is known, and
 * collects the logs of frames that did not revert, in execution order.
 */
export function parseTrace(root: RawFrame, registry: FunctionRegistry): { trace: TraceCall; logs: SimLog[] } {
  const logs: SimLog[] = []
  const visit = (raw: RawFrame, path: string, reverted: boolean): TraceCall => {
    const type = (
      FRAME_TYPES.has(raw.type.toUpperCase() as FrameType) ? raw.type.toUpperCase() : 'CALL'
    ) as FrameType
    const to = getAddress(raw.to ?? '0x0000000000000000000000000000000000000000')
    const input = (raw.input ?? '0x') as Hex
    const frame: TraceCall = {
      path,
      type,
      from: getAddress(raw.from),
      to,
      value: raw.value ? hexToBigInt(raw.value as Hex) : 0n,
      input,
      gasUsed: raw.gasUsed ? hexToBigInt(raw.gasUsed as Hex) : 0n,
      calls: [],
    }
    if (raw.output) frame.output = raw.output as Hex
    if (input.length >= 10 && type !== 'CREATE' && type !== 'CREATE2') {
      const decoded = registry.decode(to, input)
      if (decoded.ok) frame.function = { signature: decoded.fn.signature, args: decoded.fn.args }
    }
    if (raw.error)
      frame.error = decodeRevert(raw.output as Hex | undefined) ?? sanitize(raw.revertReason ?? raw.error)
    const failed = reverted || raw.error !== undefined
    // Logs and sub-calls interleave; `position` says how many sub-calls came before each log.
    const children = raw.calls ?? []
    const frameLogs = [...(raw.logs ?? [])]
    children.forEach((child, i) => {
      while (frameLogs.length && Number(frameLogs[0]?.position ?? Number.POSITIVE_INFINITY) <= i)
        emit(frameLogs.shift(), path, failed)
      frame.calls.push(visit(child, `${path}.${i}`, failed))
    })
    while (frameLogs.length) emit(frameLogs.shift(), path, failed)
    return frame
  }
  const emit = (log: RawLog | undefined, path: string, failed: boolean) => {
    if (!log || failed) return // a reverted frame's events never happened
    const entry: SimLog = {
      index: logs.length,
      address: getAddress(log.address) as Address,
      topics: (log.topics ?? []) as Hex[],
      data: (log.data ?? '0x') as Hex,
      path,
    }
    const event = decodeLog(entry)
    if (event) entry.event = { signature: event.signature, args: event.args }
    logs.push(entry)
  }
  return { trace: visit(root, '0', false), logs }
}

/** Depth-first list of every frame. */
export function flattenTrace(root: TraceCall): TraceCall[] {
  const out: TraceCall[] = []
  const walk = (f: TraceCall) => {
    out.push(f)
    for (const c of f.calls) walk(c)
  }
  walk(root)
  return out
}
