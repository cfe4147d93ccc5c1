import { normalAddress, normalSlot, parseRead, type StateKey } from './state-cache.js'

// What a call touches, as the upstream tells it (a prestate trace, an access list) or as the
// request itself names it (a getter's key, the overrides it carries).

/** The requests that run a call, whose reads prefetching can learn. */
export const CALLS = new Set(['eth_call', 'debug_traceCall', 'eth_estimateGas', 'eth_createAccessList'])

/** The account or slot a getter reads. */
export function getterKey(method: string, params: unknown[]): StateKey | undefined {
  const address = normalAddress(params[0])
  if (!address) return undefined
  if (method === 'eth_getStorageAt') {
    const slot = normalSlot(params[1])
    return slot ? { address, slot } : undefined
  }
  return parseRead(method, [address, '0x0']) ? { address } : undefined
}

/** The state overrides a call-like request carries. */
export function overridesOf(method: string, params: unknown[]): Record<string, unknown> | undefined {
  const o =
    method === 'debug_traceCall'
      ? (params[2] as { stateOverrides?: unknown } | undefined)?.stateOverrides
      : method === 'eth_call' || method === 'eth_estimateGas'
        ? params[2]
        : undefined
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>) : undefined
}

/** A slot that every one of these overrides supplies itself: anvil never reads it upstream. */
export function overridden(k: StateKey, overrides: Array<Record<string, unknown> | undefined>): boolean {
  if (!k.slot) return false
  return overrides.every((each) => {
    const o = Object.entries(each ?? {}).find(([a]) => a.toLowerCase() === k.address)?.[1] as
      | { state?: Record<string, unknown>; stateDiff?: Record<string, unknown> }
      | undefined
    if (!o) return false
    if (o.state) return true
    return Object.keys(o.stateDiff ?? {}).some((s) => normalSlot(s) === k.slot)
  })
}

/** Accounts and slots in a prestateTracer result (`{ [address]: { storage } }`). */
export function prestateKeys(result: unknown): StateKey[] {
  if (typeof result !== 'object' || result === null) return []
  const keys: StateKey[] = []
  for (const [a, account] of Object.entries(
    result as Record<string, { storage?: Record<string, unknown> }>,
  )) {
    const address = normalAddress(a)
    if (!address) continue
    keys.push({ address })
    for (const s of Object.keys(account?.storage ?? {})) {
      const slot = normalSlot(s)
      if (slot) keys.push({ address, slot })
    }
  }
  return keys
}

/** Accounts and slots in an access list, plus the sender and the callee (which lists leave out). */
export function accessListKeys(result: unknown, call: Record<string, unknown>): StateKey[] {
  const keys: StateKey[] = []
  for (const a of [call.from, call.to]) {
    const address = normalAddress(a)
    if (address) keys.push({ address })
  }
  const list = (result as { accessList?: Array<{ address?: unknown; storageKeys?: unknown[] }> } | null)
    ?.accessList
  for (const entry of Array.isArray(list) ? list : []) {
    const address = normalAddress(entry?.address)
    if (!address) continue
    keys.push({ address })
    for (const s of entry.storageKeys ?? []) {
      const slot = normalSlot(s)
      if (slot) keys.push({ address, slot })
    }
  }
  return keys
}
