import type { Address, PublicClient } from 'viem'
import type { Config } from '../config/schema.js'
import type { Logger } from '../model/logger.js'
import type { SafeState } from '../model/safe.js'
import type { Runtime } from '../pipeline.js'
import type { Notifier } from '../respond/notifier.js'
import type { OutboxWorker } from '../respond/outbox.js'
import type { Metrics } from '../server/metrics.js'
import type { Simulator } from '../simulate/index.js'
import type { Store, WorkBatch } from '../store/types.js'
import type { Vetoer } from './veto.js'

export type WatchedSafe = Config['safes'][number]

/** What the watch loop's handlers share: one bag, passed down, no singletons. */
export type WatchContext = {
  rt: Runtime
  config: Config
  logger: Logger
  store: Store
  metrics: Metrics
  notifiers: Notifier[]
  outbox: OutboxWorker
  simulator: Simulator
  clock: () => number
  publicUrl: string
  client(chainId: number): PublicClient
  upstreams(chainId: number): string[]
  safe(chainId: number, address: Address): WatchedSafe | undefined
  /** Bumped when a Safe's on-chain configuration changes: its pending proposals run again. */
  epoch: Map<string, number>
  /** Cached Safe state (version, owners…), dropped when the epoch moves. */
  states: Map<string, SafeState>
  /** Events already acted on (block hash and log index). */
  seenEvents: Set<string>
  /** Acts on vetoes (the policy's and the chat's); set once the watcher is built. */
  vetoer?: Vetoer
  /** Commits a batch and wakes the outbox when it queued alerts. */
  commit(batch: WorkBatch): Promise<void>
}

export const safeKey = (chainId: number, safe: string) => `${chainId}:${safe.toLowerCase()}`

/** The watched Safe, governor or timelock at `address` on `chainId`, with its own settings. */
export const watchedEntry = (config: Config, chainId: number, address: string) =>
  [...config.safes, ...config.governors, ...config.timelocks].find(
    (s) => s.chainId === chainId && s.address.toLowerCase() === address.toLowerCase(),
  )
