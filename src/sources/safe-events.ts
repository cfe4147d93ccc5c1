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

/** The watched events of `safes` in blocks `from..to`, decoded. */
export async function readSafeEvents(
  client: PublicClient,
  safes: Address[],
  from: bigint,
  to: bigint,
): Promise<SafeEvent[]> {
  if (safes.length === 0) return []
  const logs = await client.getLogs({ address: safes, fromBlock: from, toBlock: to })
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
  return decoded
}
