import {
  type Abi,
  type Address,
  decodeErrorResult,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  multicall3Abi,
  type PublicClient,
  parseAbi,
  toFunctionSelector,
} from 'viem'
import { MULTICALL3, type ReadCall, type ReadResult } from '../model/check.js'
import { FatalError, RetryableError } from '../model/errors.js'
import { errorText } from '../model/redact.js'

// Many view calls, few RPC requests: every call of a round goes into Multicall3's aggregate3
// (each allowed to fail on its own), at one block, with that block's timestamp in the same batch.
// A call that fails inside the batch but works alone (a feed that lets only EOAs read it, as L2
// sequencer uptime feeds do) is made alone from then on. What does not change (decimals, an
// aggregator's bounds) is read once.

/** Calls per eth_call: typical views use 3k–30k gas, so 500 stay under the usual eth_call gas caps (50M). */
const CHUNK = 500
/**
 * A call that failed both in the batch and alone (a function the contract does not have) is
 * tried alone again only after this long: a round must not cost a request per such call.
 */
const RETRY_ALONE_MS = 3_600_000

const REVERTS = parseAbi(['error Error(string)', 'error Panic(uint256)'])
/** Calldata remembered at most (a configuration's calls are far fewer). */
const MAX_REMEMBERED = 100_000

const stringify = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))

export type BatchRead = {
  results: Map<string, ReadResult>
  /** The block's timestamp (s), from Multicall3 in the same batch. */
  timestamp: bigint
  /** RPC requests this read made (for the figures). */
  requests: number
}

export type BatchReader = {
  /** With `timestamp: false` (a follow-up read), no request is made when every call is remembered. */
  read(calls: readonly ReadCall[], block: bigint, opts?: { timestamp?: boolean }): Promise<BatchRead>
}

export function createBatchReader(
  client: PublicClient,
  opts: { multicall?: Address; clock?: () => number } = {},
): BatchReader {
  const multicall = opts.multicall ?? MULTICALL3
  const clock = opts.clock ?? Date.now
  const stable = new Map<string, ReadResult>()
  /** Calls that work only alone. */
  const alone = new Set<string>()
  /** Calls that failed alone too, and when. */
  const failedAlone = new Map<string, number>()

  const direct = async (call: ReadCall, data: Hex, block: bigint): Promise<ReadResult> => {
    try {
      const out = await client.call({ to: call.to, data, blockNumber: block })
      return decode(call, out.data ?? '0x')
    } catch (error) {
      return { ok: false, error: reason(error) }
    }
  }

  // The same calls come every round: their calldata is encoded once (ABI encoding 1,000 calls
  // costs more than the eth_call that runs them).
  const calldata = new Map<string, Hex>()
  /** The aggregate3 calldata of each chunk, by the calls in it (the same from round to round). */
  const batches = new Map<string, Hex>()
  const selectors = new WeakMap<object, string>()
  const encodeOnce = (c: ReadCall): Hex => {
    const items = c.abi.filter((x) => x.type === 'function' && x.name === c.functionName)
    const [item] = items
    // An overloaded name is told apart by its arguments: encoded every time.
    if (items.length !== 1 || !item || item.type !== 'function') return encode(c)
    let selector = selectors.get(item)
    if (selector === undefined) {
      selector = toFunctionSelector(item)
      selectors.set(item, selector)
    }
    const key = `${c.to}:${selector}:${c.args?.length ? stringify(c.args) : ''}`
    let data = calldata.get(key)
    if (data === undefined) {
      data = encode(c)
      if (calldata.size < MAX_REMEMBERED) calldata.set(key, data)
    }
    return data
  }

  return {
    async read(calls, block, { timestamp: withTimestamp = true } = {}) {
      const results = new Map<string, ReadResult>()
      const encoded = calls.map((c) => ({ call: c, data: encodeOnce(c), id: '' }))
      for (const e of encoded) e.id = `${e.call.to.toLowerCase()}:${e.data}`
      const todo = encoded.filter((e) => {
        const known = e.call.stable ? stable.get(e.id) : undefined
        if (known) results.set(e.call.key, known)
        return !known
      })
      const batched = todo.filter((e) => !alone.has(e.id))
      const solo = todo.filter((e) => alone.has(e.id))
      let requests = 0
      const chunks: (typeof batched)[] = []
      for (let i = 0; i < batched.length || (i === 0 && withTimestamp); i += CHUNK)
        chunks.push(batched.slice(i, i + CHUNK))
      const [answers, soloAnswers] = await Promise.all([
        Promise.all(
          chunks.map((chunk, i) => {
            requests++
            return aggregate(client, multicall, chunk, block, i === 0 && withTimestamp, batches)
          }),
        ),
        Promise.all(
          solo.map((e) => {
            requests++
            return direct(e.call, e.data, block)
          }),
        ),
      ])
      let timestamp = 0n
      const retry: typeof batched = []
      answers.forEach((a, i) => {
        if (i === 0 && withTimestamp) timestamp = a.timestamp
        ;(chunks[i] ?? []).forEach((e, j) => {
          const r = a.results[j] ?? { ok: false, error: 'no answer' }
          if (!r.ok && clock() - (failedAlone.get(e.id) ?? -Infinity) > RETRY_ALONE_MS) retry.push(e)
          else results.set(e.call.key, r)
        })
      })
      for (const [i, e] of solo.entries())
        results.set(e.call.key, soloAnswers[i] ?? { ok: false, error: 'no answer' })
      const retried = await Promise.all(
        retry.map((e) => {
          requests++
          return direct(e.call, e.data, block)
        }),
      )
      retry.forEach((e, i) => {
        const r = retried[i] ?? { ok: false, error: 'no answer' }
        if (r.ok) alone.add(e.id)
        else failedAlone.set(e.id, clock())
        results.set(e.call.key, r)
      })
      for (const e of todo) {
        const r = results.get(e.call.key)
        if (e.call.stable && r?.ok) stable.set(e.id, r)
      }
      return { results, timestamp, requests }
    },
  }
}

const encode = (c: ReadCall): Hex =>
  encodeFunctionData({ abi: c.abi, functionName: c.functionName, args: c.args ?? [] } as never)

function decode(c: ReadCall, data: Hex): ReadResult {
  if (data === '0x')
    return { ok: false, error: `${c.functionName}: no data returned (is there a contract at ${c.to}?)` }
  try {
    return {
      ok: true,
      value: decodeFunctionResult({ abi: c.abi, functionName: c.functionName, data } as never),
    }
  } catch (error) {
    return {
      ok: false,
      error: `${c.functionName}: the answer does not decode (${errorText(error).split('\n')[0]})`,
    }
  }
}

function revertText(data: Hex): string {
  if (data === '0x') return 'reverted without a reason'
  try {
    const e = decodeErrorResult({ abi: REVERTS, data })
    return `reverted: ${e.errorName === 'Error' ? String(e.args[0]) : `panic ${String(e.args[0])}`}`
  } catch {
    return `reverted (${data.slice(0, 10)})`
  }
}

const reason = (error: unknown) => {
  const text = errorText(error)
  const m = /reverted with the following reason:\s*\n?(.*)/.exec(text)
  return m?.[1] ? `reverted: ${m[1].trim()}` : (text.split('\n')[0] ?? 'failed')
}

/** One aggregate3 eth_call; the first chunk also asks Multicall3 for the block's timestamp. */
async function aggregate(
  client: PublicClient,
  multicall: Address,
  chunk: ReadonlyArray<{ call: ReadCall; data: Hex }>,
  block: bigint,
  withTimestamp: boolean,
  memo: Map<string, Hex>,
): Promise<{ results: ReadResult[]; timestamp: bigint }> {
  const tsData = encodeFunctionData({ abi: multicall3Abi, functionName: 'getCurrentBlockTimestamp' })
  const inner = [
    ...(withTimestamp ? [{ target: multicall, allowFailure: false, callData: tsData }] : []),
    ...chunk.map((e) => ({ target: e.call.to, allowFailure: true, callData: e.data })),
  ]
  const key = `${withTimestamp}:${chunk.map((e) => `${e.call.to}${e.data}`).join(',')}`
  let data = memo.get(key)
  if (data === undefined) {
    data = encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [inner] })
    if (memo.size >= 64) memo.clear()
    memo.set(key, data)
  }
  let out: Hex
  try {
    out = (await client.call({ to: multicall, data, blockNumber: block })).data ?? '0x'
  } catch (cause) {
    throw new RetryableError(
      `the batched read (Multicall3 aggregate3) failed: ${errorText(cause).split('\n')[0]}`,
      { cause },
    )
  }
  if (out === '0x')
    throw new FatalError(
      `Multicall3 is not at ${multicall} on this chain: custos batches protocol checks through it`,
    )
  const answers = decodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', data: out })
  const offset = withTimestamp ? 1 : 0
  const timestamp = withTimestamp
    ? (decodeFunctionResult({
        abi: multicall3Abi,
        functionName: 'getCurrentBlockTimestamp',
        data: answers[0]?.returnData ?? '0x',
      }) as bigint)
    : 0n
  const results = chunk.map((e, i): ReadResult => {
    const a = answers[i + offset]
    if (!a) return { ok: false, error: 'no answer' }
    return a.success
      ? decode(e.call, a.returnData)
      : { ok: false, error: `${e.call.functionName} ${revertText(a.returnData)}` }
  })
  return { results, timestamp }
}

// One-off view reads (governance): a batch where the chain has Multicall3, else side by side.

export { MULTICALL3 }

export type ViewRead = { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] }

// Whether a chain has Multicall3, asked once per client (a failed check is asked again).
const present = new WeakMap<PublicClient, Promise<boolean>>()

function hasMulticall(client: PublicClient): Promise<boolean> {
  let known = present.get(client)
  if (!known) {
    known = client.getCode({ address: MULTICALL3 }).then((code) => code !== undefined && code !== '0x')
    present.set(client, known)
    known.catch(() => present.delete(client))
  }
  return known.catch(() => false)
}

/**
 * View calls in one round trip: one eth_call through Multicall3 where the chain has it, else
 * side by side. Each result is undefined where that call reverted or could not be made, exactly
 * as if it had been read alone.
 */
export async function readMany(client: PublicClient, reads: ViewRead[]): Promise<unknown[]> {
  if (reads.length === 0) return []
  const alone = () =>
    Promise.all(
      reads.map((r) => {
        const read = client.readContract({ ...r, args: r.args ?? [] } as never) as Promise<unknown>
        // A call that reverts (the contract lacks that function) or fails is undefined: absent.
        return read.catch(() => undefined)
      }),
    )
  if (reads.length === 1 || !(await hasMulticall(client))) return alone()
  try {
    const results = await client.multicall({
      contracts: reads.map((r) => ({ ...r, args: r.args ?? [] })) as never,
      allowFailure: true,
      multicallAddress: MULTICALL3,
    })
    return (results as Array<{ status: string; result?: unknown }>).map((r) =>
      r.status === 'success' ? r.result : undefined,
    )
  } catch {
    // The batch itself failed (a node refusing the large call, a transport error): one by one.
    return alone()
  }
}
