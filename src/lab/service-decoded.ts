import type { DecodedCall } from '../model/decoded.js'

type Json = string | number | boolean | null | Json[] | { [k: string]: Json }

// The Safe Transaction Service's `dataDecoded` shape, made by the emulator from custos's own
// decoder, so the emulator tells the truth unless a test or the demo makes it lie.
const value = (v: unknown): Json => {
  if (typeof v === 'bigint') return v.toString()
  if (Array.isArray(v)) return v.map(value)
  if (v === null || v === undefined) return null
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)]))
  return v as Json
}

export function serviceDataDecoded(call: DecodedCall): Json {
  if (!call.function) return null
  const parameters: Json[] = call.function.args.map((a) => ({
    name: a.name,
    type: a.type,
    value: value(a.value),
  }))
  if (call.function.signature === 'multiSend(bytes)' && call.calls) {
    const first = parameters[0] as { [k: string]: Json }
    first.valueDecoded = call.calls.map((c) => ({
      operation: c.operation,
      to: c.to,
      value: c.value.toString(),
      data: c.data === '0x' ? null : c.data,
      dataDecoded: serviceDataDecoded(c),
    }))
  }
  return { method: call.function.name, parameters }
}
