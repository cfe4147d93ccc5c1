// What anvil's fork backend reads from the upstream, kept per block: account fields and storage
// words exactly as the upstream answered the same getters anvil sends (eth_getBalance,
// eth_getTransactionCount, eth_getCode, eth_getAccountInfo, eth_getStorageAt), so that an answer
// from the cache is the answer anvil would have had. Only reads at a block number are kept: a
// number names a fixed state, a tag like `latest` does not.

/** An account, or one of its storage slots (lowercase hex; a slot as 32 bytes). */
export type StateKey = { address: string; slot?: string }

export type ReadMethod =
  | 'eth_getBalance'
  | 'eth_getTransactionCount'
  | 'eth_getCode'
  | 'eth_getAccountInfo'
  | 'eth_getStorageAt'

/** One state read anvil (or custos) makes at a block. */
export type StateRead = StateKey & { method: ReadMethod; block: bigint }

type Account = { balance?: string; nonce?: string; code?: string }
const FIELD = { eth_getBalance: 'balance', eth_getTransactionCount: 'nonce', eth_getCode: 'code' } as const

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/

export const keyOf = (k: StateKey) => (k.slot ? `${k.address}:${k.slot}` : k.address)

/** A 32-byte slot in lowercase hex, whatever padding it came with; undefined if it is not one. */
export function normalSlot(slot: unknown): string | undefined {
  if (typeof slot !== 'string' || !QUANTITY.test(slot)) return undefined
  return `0x${BigInt(slot).toString(16).padStart(64, '0')}`
}

export const normalAddress = (a: unknown): string | undefined =>
  typeof a === 'string' && ADDRESS.test(a) ? a.toLowerCase() : undefined

/** The block number of a block parameter (a quantity or `{ blockNumber }`); undefined for a tag. */
export function blockOf(param: unknown): bigint | undefined {
  const value =
    typeof param === 'object' && param !== null ? (param as { blockNumber?: unknown }).blockNumber : param
  return typeof value === 'string' && QUANTITY.test(value) ? BigInt(value) : undefined
}

/** The read a getter request makes, when it is one at a block number. */
export function parseRead(method: string, params: unknown): StateRead | undefined {
  if (!Array.isArray(params)) return undefined
  const address = normalAddress(params[0])
  if (!address) return undefined
  if (method === 'eth_getStorageAt') {
    const slot = normalSlot(params[1])
    const block = blockOf(params[2])
    return slot && block !== undefined ? { method, address, slot, block } : undefined
  }
  if (method in FIELD || method === 'eth_getAccountInfo') {
    const block = blockOf(params[1])
    return block !== undefined ? { method: method as ReadMethod, address, block } : undefined
  }
  return undefined
}

/**
 * The state of one block (the fork's): values, and which keys anvil asked for at it (the state
 * still needed when the fork moves to a newer block). Stops storing values past `maxBytes`.
 */
export function createStateCache(maxBytes: number) {
  let block: bigint | undefined
  let accounts = new Map<string, Account>()
  let slots = new Map<string, string>()
  let used = new Set<string>()
  let bytes = 0

  const current = (b: bigint) => {
    if (block === undefined || b > block) switchTo(b)
    return b === block
  }
  const switchTo = (b: bigint) => {
    block = b
    accounts = new Map()
    slots = new Map()
    used = new Set()
    bytes = 0
  }
  const get = (r: StateRead): unknown => {
    if (r.block !== block) return undefined
    if (r.method === 'eth_getStorageAt') return slots.get(keyOf(r))
    const a = accounts.get(r.address)
    if (r.method === 'eth_getAccountInfo')
      return a?.balance !== undefined && a.nonce !== undefined && a.code !== undefined
        ? { balance: a.balance, nonce: a.nonce, code: a.code }
        : undefined
    return a?.[FIELD[r.method]]
  }

  return {
    block: () => block,
    /** Moves to a newer block, dropping what was kept for the older one. */
    switchTo,
    /** The cached answer to `r`, if any; also notes that `r`'s key is needed at this block. */
    answer(r: StateRead): unknown {
      if (!current(r.block)) return undefined
      used.add(keyOf(r))
      return get(r)
    },
    has: (r: StateRead) => get(r) !== undefined,
    /** Keeps an upstream answer (a getter's `result`) for `r`'s block. */
    put(r: StateRead, result: unknown) {
      if (!current(r.block) || result === undefined || result === null || bytes > maxBytes) return
      if (r.method === 'eth_getStorageAt') {
        if (typeof result !== 'string') return
        slots.set(keyOf(r), result)
        bytes += result.length
        return
      }
      const a = accounts.get(r.address) ?? {}
      if (r.method === 'eth_getAccountInfo') {
        const info = result as Account
        if (
          typeof info !== 'object' ||
          ![info.balance, info.nonce, info.code].every((v) => typeof v === 'string')
        )
          return
        Object.assign(a, { balance: info.balance, nonce: info.nonce, code: info.code })
        bytes += String(info.code).length
      } else {
        if (typeof result !== 'string') return
        a[FIELD[r.method]] = result
        bytes += result.length
      }
      accounts.set(r.address, a)
    },
    /** Whether the account's fields (or the slot) are all known at `b`. */
    known(k: StateKey, b: bigint): boolean {
      if (b !== block) return false
      if (k.slot) return slots.has(keyOf(k))
      const a = accounts.get(k.address)
      return a?.balance !== undefined && a.nonce !== undefined && a.code !== undefined
    },
    /** The keys anvil asked for at this block, most recent last. */
    usedKeys(): StateKey[] {
      return [...used].map((k) => {
        const [address, slot] = k.split(':')
        return slot ? { address: address as string, slot } : { address: address as string }
      })
    },
  }
}

export type StateCache = ReturnType<typeof createStateCache>
