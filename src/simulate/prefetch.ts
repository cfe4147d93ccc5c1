import { type RpcBatcher, type RpcCall, type RpcReply, unsupported } from './rpc-batch.js'
import { keyOf, normalAddress, type StateCache, type StateKey, type StateRead } from './state-cache.js'
import { accessListKeys, CALLS, getterKey, overridden, overridesOf, prestateKeys } from './touched.js'

// Prefetching for a fork. While custos has a call running on the fork (an eth_call, a traced
// call), the state it touches is what anvil will ask the upstream for, one account or slot at a
// time. On anvil's first miss, the upstream is asked once what the call touches (a prestate trace
// of the same call with the same overrides at the fork's block, or an access list where the node
// has no debug_traceCall), and everything missing is fetched in one batch of the very getters
// anvil uses; anvil's later reads are answered from that. What the prefetch missed anvil still
// fetches itself: correctness never depends on it. A fork whose state is already warm makes no
// misses, so it never pays for this.

type Context = {
  call: Record<string, unknown>
  overrides?: Record<string, unknown>
  learned: boolean
  refs: number
}
type Support = 'unknown' | 'yes' | 'no'

export type PrefetchStats = {
  prefetches: number
  /** Prefetches that failed (anvil then read lazily). */
  failures: number
  learnedBy: { trace: number; accessList: number; none: number }
  fetched: number
}

export function createPrefetcher(upstream: RpcBatcher, cache: StateCache) {
  const contexts = new Map<string, Context>()
  const explicit = new Map<string, { key: StateKey; refs: number }>()
  const support = {
    trace: 'unknown' as Support,
    accessList: 'unknown' as Support,
    accountInfo: 'unknown' as Support,
  }
  const stats: PrefetchStats = {
    prefetches: 0,
    failures: 0,
    learnedBy: { trace: 0, accessList: 0, none: 0 },
    fetched: 0,
  }
  let running: Promise<void> | undefined
  // Misses that arrive while the upstream is being asked what a call touches: fetched with it.
  let late: StateKey[] | undefined

  /** The getters that read `keys` at `block`, for those not known yet. */
  const getters = (keys: Iterable<StateKey>, block: bigint): Array<RpcCall & { read: StateRead }> => {
    const tag = `0x${block.toString(16)}`
    const out: Array<RpcCall & { read: StateRead }> = []
    const seen = new Set<string>()
    for (const k of keys) {
      const id = keyOf(k)
      if (seen.has(id) || cache.known(k, block)) continue
      seen.add(id)
      if (k.slot) {
        const read: StateRead = { method: 'eth_getStorageAt', address: k.address, slot: k.slot, block }
        out.push({ method: read.method, params: [k.address, k.slot, tag], read })
      } else if (support.accountInfo === 'yes') {
        const read: StateRead = { method: 'eth_getAccountInfo', address: k.address, block }
        out.push({ method: read.method, params: [k.address, tag], read })
      } else {
        for (const method of ['eth_getBalance', 'eth_getTransactionCount', 'eth_getCode'] as const) {
          const read: StateRead = { method, address: k.address, block }
          if (!cache.has(read)) out.push({ method, params: [k.address, tag], read })
        }
      }
    }
    return out
  }

  const fetchKeys = async (keys: Iterable<StateKey>, block: bigint, extra: RpcCall[] = []) => {
    const calls = getters(keys, block)
    const replies = await upstream.batch([...calls, ...extra])
    calls.forEach((c, i) => {
      const r = replies[i]
      if (r && 'result' in r) cache.put(c.read, r.result)
    })
    stats.fetched += calls.length
    return replies.slice(calls.length)
  }

  /** What the contexts touch, by the upstream at `block`: one batch. */
  const learn = async (fresh: Context[], block: bigint): Promise<StateKey[]> => {
    const tag = `0x${block.toString(16)}`
    const asks: Array<{ kind: 'trace' | 'accessList'; ctx: Context; call: RpcCall }> = []
    for (const ctx of fresh) {
      if (support.trace !== 'no')
        asks.push({
          kind: 'trace',
          ctx,
          call: {
            method: 'debug_traceCall',
            params: [
              ctx.call,
              tag,
              {
                tracer: 'prestateTracer',
                // Which accounts and slots only: the values come from the getters anvil uses.
                tracerConfig: { disableCode: true },
                ...(ctx.overrides ? { stateOverrides: ctx.overrides } : {}),
              },
            ],
          },
        })
      // While it is not known whether the node traces, the access list is asked alongside.
      if (support.trace !== 'yes' && support.accessList !== 'no')
        asks.push({
          kind: 'accessList',
          ctx,
          call: { method: 'eth_createAccessList', params: [ctx.call, tag] },
        })
    }
    const replies = await upstream.batch(asks.map((a) => a.call))
    const by = new Map<Context, 'trace' | 'accessList'>()
    const keys: StateKey[] = []
    asks.forEach((a, i) => {
      const reply = replies[i] ?? {}
      note(a.kind, reply)
      // The trace, asked first, is the better answer; an access list only stands in for it.
      if (!('result' in reply) || by.has(a.ctx)) return
      by.set(a.ctx, a.kind)
      keys.push(
        ...(a.kind === 'trace' ? prestateKeys(reply.result) : accessListKeys(reply.result, a.ctx.call)),
      )
    })
    for (const ctx of fresh) {
      stats.learnedBy[by.get(ctx) ?? 'none']++
      // anvil loads every overridden account, touched or not, and the sender and callee.
      for (const a of [ctx.call.from, ctx.call.to, ...Object.keys(ctx.overrides ?? {})]) {
        const address = normalAddress(a)
        if (address) keys.push({ address })
      }
    }
    return keys.filter(
      (k) =>
        !overridden(
          k,
          fresh.map((c) => c.overrides),
        ),
    )
  }

  const note = (kind: 'trace' | 'accessList', reply: RpcReply) => {
    if ('result' in reply) support[kind] = 'yes'
    else if (unsupported(reply)) support[kind] = 'no'
  }

  // Never rejects: a prefetch that fails leaves anvil to read what it needs itself (counted).
  const prefetch = async (fresh: Context[], block: bigint, missed: StateKey[]) => {
    stats.prefetches++
    late = [...missed, ...[...explicit.values()].map((e) => e.key)]
    try {
      const keys = await learn(fresh, block)
      keys.push(...late)
      late = undefined
      await fetchKeys(keys, block)
    } catch {
      stats.failures++
    } finally {
      late = undefined
    }
  }

  return {
    stats: () => structuredClone(stats),
    /** Anvil's `eth_getAccountInfo` worked upstream: fetch accounts with it (one call, not three). */
    noteAccountInfo(ok: boolean) {
      if (support.accountInfo === 'unknown') support.accountInfo = ok ? 'yes' : 'no'
    },
    /**
     * custos is sending `method(params)` to the fork: while it runs, what it reads may be
     * prefetched. Returns the function that says it is over.
     */
    expect(method: string, params: unknown[]): () => void {
      if (CALLS.has(method) && typeof params[0] === 'object' && params[0] !== null) {
        const overrides = overridesOf(method, params)
        const id = JSON.stringify([params[0], overrides ?? null])
        const ctx = contexts.get(id) ?? {
          call: params[0] as Record<string, unknown>,
          learned: false,
          refs: 0,
        }
        if (overrides) ctx.overrides = overrides
        ctx.refs++
        contexts.set(id, ctx)
        return () => {
          if (--ctx.refs === 0) contexts.delete(id)
        }
      }
      // A getter names its key itself: it joins the batch if a prefetch runs meanwhile.
      const key = getterKey(method, params)
      if (!key) return () => {}
      const id = keyOf(key)
      const entry = explicit.get(id) ?? { key, refs: 0 }
      entry.refs++
      explicit.set(id, entry)
      return () => {
        if (--entry.refs === 0) explicit.delete(id)
      }
    },
    /**
     * Anvil missed these reads: waits for the prefetch that may answer them (starting one for the
     * calls in flight not learned yet). Returns once there is nothing more to wait for; reads
     * still missing then are anvil's to fetch, as without prefetching.
     */
    async missed(reads: StateRead[]): Promise<void> {
      let left = reads
      for (;;) {
        if (running) {
          late?.push(...left)
          await running
          left = left.filter((r) => !cache.has(r))
          if (left.length === 0) return
          continue
        }
        const fresh = [...contexts.values()].filter((c) => !c.learned)
        if (fresh.length === 0) return
        for (const c of fresh) c.learned = true
        const block = left[0]?.block
        if (block === undefined) return
        running = prefetch(fresh, block, left).finally(() => {
          running = undefined
        })
      }
    },
    /** Fetches `keys` (and `extra` calls) at `block` in one batch: for moving the fork forward. */
    fetchKeys,
  }
}

export type Prefetcher = ReturnType<typeof createPrefetcher>
