import { type Address, getAddress, type Hash, type Hex, type PublicClient } from 'viem'
import { decodeLog } from '../model/events.js'

/** A decoded event of a watched Safe, with where it happened. */
export type SafeEvent = {
  safe: Address
  name: string
  args: Record<string, unknown>
  blockNumber: bigint
  blockHash: Hash
  transactionHash: Hash
  logIndex: number
}

/** Events that change a Safe's configuration (owners, threshold, modules, guards, handler). */
export const SAFE_CONFIG_EVENTS = new Set([
  'AddedOwner',
  'RemovedOwner',
  'ChangedThreshold',
  'EnabledModule',
  'DisabledModule',
  'ChangedGuard',
  'ChangedModuleGuard',
  'ChangedFallbackHandler',
  'ChangedMasterCopy',
])

// The events the watch loop acts on; anything else a Safe emits is ignored.
export const WATCHED_EVENTS = new Set([
  'ExecutionSuccess',
  'ExecutionFailure',
  'ApproveHash',
  'SafeMultiSigTransaction',
  ...SAFE_CONFIG_EVENTS,
  'ExecutionFromModuleSuccess',
  'ExecutionFromModuleFailure',
])

export type ScanDeps = {
  client: PublicClient
  safes: Address[]
  reorgWindow: number
  maxBlockRange: number
  /** Last block fully handled, from the store; undefined on the very first start. */
  cursor(): Promise<bigint | undefined>
  /**
   * Handles the events of blocks `from..to` and must persist the cursor `to` in the same
   * commit as the work, so a crash can never skip a block.
   */
  handle(events: SafeEvent[], from: bigint, to: bigint): Promise<void>
}

/**
 * One scan: from the cursor minus the reorg window (events in those blocks are read again, so
 * one a reorg moved or removed is re-checked) up to the chain head, in ranges the RPC accepts.
 * On the very first start it begins at the head: history is the drift watchdog's job.
 */
export async function scanSafeEvents(deps: ScanDeps): Promise<{ from: bigint; to: bigint; events: number }> {
  const head = await deps.client.getBlockNumber()
  const cursor = await deps.cursor()
  const start = cursor === undefined ? head : cursor + 1n - BigInt(deps.reorgWindow)
  const from = start < 0n ? 0n : start
  let events = 0
  if (deps.safes.length === 0 || from > head) {
    await deps.handle([], from, head)
    return { from, to: head, events }
  }
  for (let lo = from; lo <= head; lo += BigInt(deps.maxBlockRange)) {
    const hi = lo + BigInt(deps.maxBlockRange) - 1n < head ? lo + BigInt(deps.maxBlockRange) - 1n : head
    const logs = await deps.client.getLogs({ address: deps.safes, fromBlock: lo, toBlock: hi })
    const decoded: SafeEvent[] = []
    for (const log of logs) {
      if (log.removed || log.blockNumber === null || log.blockHash === null || log.transactionHash === null)
        continue
      const event = decodeLog({ address: log.address, topics: log.topics as Hex[], data: log.data })
      const name = event?.name
      if (!event || !name || !WATCHED_EVENTS.has(name)) continue
      decoded.push({
        safe: getAddress(log.address),
        name,
        args: event.args,
        blockNumber: log.blockNumber,
        blockHash: log.blockHash,
        transactionHash: log.transactionHash,
        logIndex: log.logIndex ?? 0,
      })
    }
    events += decoded.length
    await deps.handle(decoded, lo, hi)
  }
  return { from, to: head, events }
}
