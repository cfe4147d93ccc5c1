import type { PublicClient } from 'viem'
import type { Config } from '../config/schema.js'
import type { Logger } from '../model/logger.js'
import type { SafeState } from '../model/safe.js'
import type { Store, WorkBatch } from '../model/store.js'
import type { Targets } from '../model/target.js'
import type { Runtime } from '../pipeline.js'
import type { Notifier } from '../respond/notifier.js'
import type { OutboxWorker } from '../respond/outbox.js'
import type { Metrics } from '../server/metrics.js'
import type { Simulator } from '../simulate/index.js'
import type { Cluster } from './cluster.js'
import type { Vetoer } from './veto.js'

/** What the watch loop's handlers share: a bag of services, passed down, no singletons. */
export type WatchContext = {
  rt: Runtime
  config: Config
  /** Every watched Safe, governor and timelock; look one up with `targets.get(chainId, address)`. */
  targets: Targets
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
  /** What custos knows of each watched Safe's on-chain state (see `createSafeStates`). */
  safes: SafeStates
  /** The replicas sharing the store, and which sources this one leads (absent in unit tests). */
  cluster?: Cluster
  /** Acts on vetoes (the policy's and the chat's); set once the watcher is built. */
  vetoer?: Vetoer
  /** Commits a batch and wakes the outbox when it queued alerts; `applied` as the store says. */
  commit(batch: WorkBatch): Promise<{ applied: boolean }>
}

/**
 * A unit of work a source produced: what to commit atomically, and the proposals the policy
 * said to veto, which are acted on only once the batch is committed (so a veto is never sent
 * for a verdict that was not stored).
 */
export type Work = {
  batch: WorkBatch
  veto: string[]
  /** Guardian actions on the custos Guard (approve, schedule), run after the vetoes. */
  guardian?: Array<{ id: string; action: 'approve' | 'schedule' }>
}

export const noWork = (): Work => ({ batch: {}, veto: [] })

/** `b` appended to `into`, key by key (both stay one atomic commit). */
export function mergeWork(into: Work, b: Work): Work {
  // A batch with a condition (ifEscalation, ifCursor) stands or falls alone: merged, its
  // condition would hold back, or be dropped from, work that has nothing to do with it.
  if (b.batch.ifEscalation || b.batch.ifCursor || into.batch.ifEscalation || into.batch.ifCursor)
    throw new Error('a conditional batch is committed on its own, never merged')
  const batch = into.batch as Record<string, unknown[] | undefined>
  for (const [k, v] of Object.entries(b.batch)) if (Array.isArray(v)) batch[k] = [...(batch[k] ?? []), ...v]
  into.veto.push(...b.veto)
  if (b.guardian?.length) into.guardian = [...(into.guardian ?? []), ...b.guardian]
  return into
}

/** Commits the work, then runs the vetoes it decided (one at a time, each checked and audited). */
export async function act(ctx: WatchContext, work: Work): Promise<void> {
  await ctx.commit(work.batch)
  for (const id of work.veto) {
    const p = await ctx.store.getProposal(id)
    if (p) await ctx.vetoer?.veto(p, { kind: 'auto', actor: 'custos' })
  }
  for (const g of work.guardian ?? []) {
    const p = await ctx.store.getProposal(g.id)
    if (p?.status === 'pending') await ctx.vetoer?.guard(p, g.action, { kind: 'auto', actor: 'custos' })
  }
}

/**
 * The Safes' on-chain state as custos last read it, and an epoch per Safe that moves whenever
 * that state changes (an execution, a new owner, a silence): the epoch is part of every
 * fingerprint, so a moved epoch makes the Safe's pending proposals run again.
 */
export type SafeStates = {
  get(key: string): SafeState | undefined
  set(key: string, state: SafeState): void
  /** Forgets the state (it changed on chain) and moves the epoch. */
  invalidate(key: string): void
  epoch(key: string): number
  bump(key: string): void
}

export function createSafeStates(): SafeStates {
  const states = new Map<string, SafeState>()
  const epochs = new Map<string, number>()
  return {
    get: (key) => states.get(key),
    set: (key, state) => void states.set(key, state),
    invalidate(key) {
      states.delete(key)
      epochs.set(key, (epochs.get(key) ?? 0) + 1)
    },
    epoch: (key) => epochs.get(key) ?? 0,
    bump: (key) => void epochs.set(key, (epochs.get(key) ?? 0) + 1),
  }
}

/** What inspect needs from the watch loop for a chain: its node, its fork, its log ranges. */
export const inspectEnv = (ctx: WatchContext, chainId: number) => ({
  client: ctx.client(chainId),
  simulate: { simulator: ctx.simulator, upstreams: ctx.upstreams(chainId) },
  scan: {
    maxBlockRange: ctx.config.sources.chainEvents.maxBlockRange,
    lookbackBlocks: ctx.config.sources.governance.lookbackBlocks,
  },
})
