import { readFileSync } from 'node:fs'
import { RemoteError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'
import { type Anvil, startAnvil } from './anvil.js'
import { createEndpoint, type Endpoint } from './endpoint.js'

export type ForkOptions = {
  /** Re-fork at the upstream's latest block once the fork is this old (ms); never when pinned. */
  maxAgeMs: number
  /** Replace the anvil process after this long (ms), whatever its state. */
  maxLifetimeMs: number
  /** Replace the anvil process once its resident memory passes this (MB). */
  maxRssMb: number
  /** Per-request timeout towards the fork (ms). */
  requestTimeoutMs: number
  /** Fork this block instead of following the chain. */
  blockNumber?: bigint
}

type Fork = { anvil: Anvil; upstream: string; startedAt: number; forkedAt: number; block?: bigint }

export type ForkStats = { starts: number; resets: number; recycles: number; restartsAfterDeath: number }

/**
 * Keeps one warm anvil fork per chain and hands out an endpoint for it. A warm fork has fetched
 * the state it needs once and serves later simulations from memory; simulations never change it
 * (they are traced calls with state overrides), so nothing needs reverting between them.
 */
export function createForkManager(options: ForkOptions) {
  const forks = new Map<number, Fork>()
  const pending = new Map<number, Promise<Fork>>()
  const stats: ForkStats = { starts: 0, resets: 0, recycles: 0, restartsAfterDeath: 0 }

  const start = async (upstreams: string[]): Promise<Fork> => {
    let last: unknown
    for (const upstream of upstreams) {
      try {
        const anvil = await startAnvil({
          forkUrl: upstream,
          ...(options.blockNumber !== undefined ? { forkBlockNumber: options.blockNumber } : {}),
          // The fork's cache stays in memory; a long-running guard must not fill the disk.
          extraArgs: ['--no-storage-caching'],
        })
        stats.starts++
        const now = Date.now()
        return {
          anvil,
          upstream,
          startedAt: now,
          forkedAt: now,
          ...(options.blockNumber !== undefined ? { block: options.blockNumber } : {}),
        }
      } catch (cause) {
        last = cause
      }
    }
    const reason = last instanceof Error ? last.message : String(last)
    throw new RemoteError(`cannot start a fork of the chain: ${redactUrls(reason)}`, {
      cause: last,
      retryable: true,
    })
  }

  // Re-fork at the upstream's latest block; this drops the warm cache, so it is done only when
  // the fork is older than maxAge or the chain has moved in a way that matters (see refresh).
  const moveForward = async (chainId: number, fork: Fork): Promise<Fork | undefined> => {
    const ep = createEndpoint(fork.anvil.rpcUrl, 'fork', options.requestTimeoutMs)
    try {
      await ep.request('anvil_reset', [{ forking: { jsonRpcUrl: fork.upstream } }])
      fork.forkedAt = Date.now()
      stats.resets++
      return fork
    } catch {
      forks.delete(chainId)
      await fork.anvil.stop()
      return undefined
    }
  }

  const ensure = async (chainId: number, upstreams: string[], force = false): Promise<Fork> => {
    let fork = forks.get(chainId)
    if (fork && (fork.anvil.process.exitCode !== null || fork.anvil.process.signalCode !== null)) {
      stats.restartsAfterDeath++
      forks.delete(chainId)
      fork = undefined
    }
    if (
      fork &&
      (Date.now() - fork.startedAt > options.maxLifetimeMs || rssMb(fork.anvil) > options.maxRssMb)
    ) {
      stats.recycles++
      forks.delete(chainId)
      await fork.anvil.stop()
      fork = undefined
    }
    if (
      fork &&
      options.blockNumber === undefined &&
      (force || Date.now() - fork.forkedAt > options.maxAgeMs)
    ) {
      fork = await moveForward(chainId, fork)
    }
    if (!fork) {
      fork = await start(upstreams)
      forks.set(chainId, fork)
    }
    return fork
  }

  return {
    /** An endpoint on a warm fork of `chainId`, started from the first upstream that works. */
    async endpoint(chainId: number, upstreams: string[], refresh = false): Promise<Endpoint> {
      // One start/reset at a time per chain; concurrent callers share it.
      let job = pending.get(chainId)
      if (!job || refresh) {
        const previous = job ?? Promise.resolve(undefined)
        job = previous
          .catch(() => undefined)
          .then(() => ensure(chainId, upstreams, refresh))
          .finally(() => {
            if (pending.get(chainId) === job) pending.delete(chainId)
          })
        pending.set(chainId, job)
      }
      const fork = await job
      return createEndpoint(fork.anvil.rpcUrl, 'fork', options.requestTimeoutMs)
    },
    stats: () => ({ ...stats, forks: forks.size }),
    /** The anvil processes, for memory measurements. */
    processes: () => [...forks.values()].map((f) => f.anvil.process),
    async close(): Promise<void> {
      const all = [...forks.values()]
      forks.clear()
      await Promise.all(all.map((f) => f.anvil.stop()))
    },
  }
}

export type ForkManager = ReturnType<typeof createForkManager>

/** Resident memory of the anvil process in MB (Linux /proc; 0 where unavailable). */
export function rssMb(anvil: Anvil): number {
  try {
    const status = readFileSync(`/proc/${anvil.process.pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    return kb / 1024
  } catch {
    return 0
  }
}
