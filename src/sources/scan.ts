import type { PublicClient } from 'viem'

// Every log source (Safe events, governor and timelock events, the custos Guard's) reads the
// same way: from a persisted cursor minus a reorg window up to the chain head, in block ranges
// the RPC accepts, each range handed on with the cursor it completes.

export type ScanOptions<E> = {
  client: PublicClient
  /** Last block fully handled, from the store; undefined on the very first start. */
  cursor: bigint | undefined
  /** Blocks read again on every scan, so an event a reorg moved or removed is seen again. */
  reorgWindow: number
  /** The largest block range asked of the RPC at once. */
  maxBlockRange: number
  /** The decoded events of blocks `from..to`. */
  read(from: bigint, to: bigint): Promise<E[]>
}

/** One range of a scan: its events, and `to`, the cursor to commit with the work they cause. */
export type ScannedRange<E> = { events: E[]; from: bigint; to: bigint }

/**
 * The ranges of one scan. On the very first start it begins at the head: history is the drift
 * watchdog's job, and an old proposal is found by `inspect`.
 */
export async function* scanLogs<E>(opts: ScanOptions<E>): AsyncGenerator<ScannedRange<E>> {
  const head = await opts.client.getBlockNumber()
  const start = opts.cursor === undefined ? head : opts.cursor + 1n - BigInt(opts.reorgWindow)
  const from = start < 0n ? 0n : start
  const step = BigInt(opts.maxBlockRange)
  for (let lo = from; lo <= head; lo += step) {
    const hi = lo + step - 1n < head ? lo + step - 1n : head
    yield { events: await opts.read(lo, hi), from: lo, to: hi }
  }
}
