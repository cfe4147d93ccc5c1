import { readFileSync, writeFileSync } from 'node:fs'
import { RetryableError, remoteError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'
import { type Anvil, startAnvil } from './anvil.js'
import { createEndpoint, type Endpoint } from './endpoint.js'
import { startUpstreamRelay, type UpstreamRelay } from './upstream.js'

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
  /**
   * Prefetch what a simulation reads from the upstream in a few batched round trips instead of
   * anvil's one read at a time (see prefetch.ts); off, the relay only relays.
   */
  prefetch?: boolean
  /**
   * A file listing the anvil processes this manager runs. A process killed with SIGKILL cannot
   * stop its children; the next manager given the same file stops the ones it left behind.
   */
  pidFile?: string
}

type Fork = {
  anvil: Anvil
  relay: UpstreamRelay
  startedAt: number
  forkedAt: number
  active: number
  /** Set while a simulation that changes the fork (and reverts it) has it to itself. */
  exclusive?: Promise<void> | undefined
}

export type ForkStats = { starts: number; resets: number; recycles: number; restartsAfterDeath: number }

/**
 * Keeps one warm anvil fork per chain. A warm fork has fetched the state it needs once and
 * serves later simulations from memory; simulations never change it (they are traced calls with
 * state overrides), so nothing needs reverting between them. A fork is reset or replaced only
 * when no simulation is using it.
 */
export function createForkManager(options: ForkOptions) {
  const pids = createPidFile(options.pidFile)
  const forks = new Map<number, Fork>()
  const jobs = new Map<number, Promise<Fork>>()
  const stats: ForkStats = { starts: 0, resets: 0, recycles: 0, restartsAfterDeath: 0 }
  let closed = false

  const dead = (f: Fork) => f.anvil.process.exitCode !== null || f.anvil.process.signalCode !== null
  const stop = async (f: Fork) => {
    await f.anvil.stop()
    await f.relay.close()
    pids.remove(f.anvil.process.pid)
  }
  const idle = async (f: Fork) => {
    const deadline = Date.now() + options.requestTimeoutMs
    while (f.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  }

  const start = async (upstreams: string[]): Promise<Fork> => {
    let last: unknown
    for (const upstream of upstreams) {
      // A quick probe first: anvil would retry a refusing upstream for many seconds.
      try {
        if (/^https?:/.test(upstream))
          await createEndpoint(upstream, 'direct', Math.min(options.requestTimeoutMs, 5000)).request(
            'eth_chainId',
            [],
          )
      } catch (cause) {
        last = cause
        continue
      }
      const relay = await startUpstreamRelay(upstream, options.requestTimeoutMs, {
        prefetch: options.prefetch ?? false,
      })
      try {
        const anvil = await startAnvil({
          forkUrl: relay.url,
          ...(options.blockNumber !== undefined ? { forkBlockNumber: options.blockNumber } : {}),
          // The fork's cache stays in memory; a long-running guard must not fill the disk.
          extraArgs: ['--no-storage-caching'],
        })
        const fork: Fork = { anvil, relay, startedAt: Date.now(), forkedAt: Date.now(), active: 0 }
        pids.add(anvil.process.pid)
        // anvil reads the fork block (with its transactions) on first use: part of forking, not
        // of the first simulation, so it is read now.
        if (options.prefetch)
          await createEndpoint(anvil.rpcUrl, 'fork', options.requestTimeoutMs)
            .request('eth_getBlockByNumber', ['latest', false])
            // Reading it ahead failed: the first simulation reads it.
            .catch(() => undefined)
        if (closed) {
          await stop(fork)
          throw remoteError('the simulator was closed', { retryable: false })
        }
        stats.starts++
        return fork
      } catch (cause) {
        await relay.close()
        if (closed) throw cause
        last = cause
      }
    }
    const reason = last instanceof Error ? last.message : String(last)
    throw remoteError(`cannot start a fork of the chain: ${redactUrls(reason)}`, {
      cause: last,
      retryable: true,
    })
  }

  // Re-fork at the upstream's latest block; this drops anvil's warm cache, so it happens only
  // when the fork is older than maxAge or the chain has moved in a way that matters (refresh).
  // With prefetching, the relay first fetches again, in batches, the state anvil needed at the
  // old block, so the new fork starts warm instead of reading it back one slot at a time.
  const moveForward = async (fork: Fork): Promise<boolean> => {
    try {
      const block = await fork.relay.advance()
      await createEndpoint(fork.anvil.rpcUrl, 'fork', options.requestTimeoutMs).request('anvil_reset', [
        {
          forking: {
            jsonRpcUrl: fork.relay.url,
            ...(block !== undefined ? { blockNumber: Number(block) } : {}),
          },
        },
      ])
      fork.forkedAt = Date.now()
      stats.resets++
      return true
    } catch {
      return false
    }
  }

  const ensure = async (chainId: number, upstreams: string[], refresh: boolean): Promise<Fork> => {
    if (closed) throw remoteError('the simulator was closed', { retryable: false })
    // A fork lent out exclusively (a lifecycle run moving its chain) is not reset or replaced.
    while (forks.get(chainId)?.exclusive) await forks.get(chainId)?.exclusive
    let fork = forks.get(chainId)
    if (fork && dead(fork)) {
      stats.restartsAfterDeath++
      forks.delete(chainId)
      await fork.relay.close()
      fork = undefined
    }
    if (
      fork &&
      (Date.now() - fork.startedAt > options.maxLifetimeMs || rssMb(fork.anvil) > options.maxRssMb)
    ) {
      stats.recycles++
      forks.delete(chainId)
      await idle(fork)
      await stop(fork)
      fork = undefined
    }
    if (
      fork &&
      options.blockNumber === undefined &&
      (refresh || Date.now() - fork.forkedAt > options.maxAgeMs)
    ) {
      await idle(fork)
      if (!(await moveForward(fork))) {
        forks.delete(chainId)
        await stop(fork)
        fork = undefined
      }
    }
    if (!fork) {
      fork = await start(upstreams)
      forks.set(chainId, fork)
    }
    return fork
  }

  /** The fork as custos talks to it: each call is announced to the relay, which may prefetch for it. */
  const endpointOf = (fork: Fork): Endpoint => {
    const ep = createEndpoint(fork.anvil.rpcUrl, 'fork', options.requestTimeoutMs)
    return {
      ...ep,
      async request<T>(method: string, params: unknown[]): Promise<T> {
        const done = fork.relay.expect(method, params)
        try {
          return await ep.request<T>(method, params)
        } finally {
          done()
        }
      },
      expect: (method, params) => fork.relay.expect(method, params),
    }
  }

  const acquire = (chainId: number, upstreams: string[], refresh: boolean): Promise<Fork> => {
    // One start/reset at a time per chain; concurrent callers share it.
    const previous = jobs.get(chainId)
    if (previous && !refresh) return previous
    const job = (previous ?? Promise.resolve(undefined))
      // The previous start's failure went to its own callers; this one begins afresh.
      .catch(() => undefined)
      .then(() => ensure(chainId, upstreams, refresh))
    const tracked = job.finally(() => {
      if (jobs.get(chainId) === tracked) jobs.delete(chainId)
    })
    jobs.set(chainId, tracked)
    return tracked
  }

  return {
    /**
     * Runs `fn` on a warm fork of `chainId` (started from the first upstream that works, moved
     * forward first when `refresh`); the fork is not reset or replaced while `fn` runs.
     */
    async use<T>(
      chainId: number,
      upstreams: string[],
      fn: (ep: Endpoint) => Promise<T>,
      refresh = false,
    ): Promise<T> {
      const fork = await acquire(chainId, upstreams, refresh)
      while (fork.exclusive) await fork.exclusive
      fork.active++
      try {
        return await fn(endpointOf(fork))
      } finally {
        fork.active--
      }
    },
    /**
     * Runs `fn` with the fork to itself: it may send transactions and move time, and must put
     * the fork back (evm_snapshot / evm_revert) before it returns; no other simulation runs
     * meanwhile.
     */
    async useExclusive<T>(
      chainId: number,
      upstreams: string[],
      fn: (ep: Endpoint) => Promise<T>,
      refresh = false,
    ): Promise<T> {
      const fork = await acquire(chainId, upstreams, refresh)
      while (fork.exclusive) await fork.exclusive
      let release: () => void = () => {}
      fork.exclusive = new Promise<void>((resolve) => {
        release = resolve
      })
      try {
        // Every simulation in flight finishes first (each is bounded by the simulation timeout).
        while (fork.active > 0) await new Promise((r) => setTimeout(r, 5))
        fork.active++
        try {
          return await fn(endpointOf(fork))
        } catch (error) {
          // A run that could not put the fork back leaves it unfit for anyone: it is replaced.
          if (error instanceof ForkTaintedError && forks.get(chainId) === fork) {
            forks.delete(chainId)
            await stop(fork)
          }
          throw error
        } finally {
          fork.active--
        }
      } finally {
        fork.exclusive = undefined
        release()
      }
    },
    stats: () => ({ ...stats, forks: forks.size }),
    /** Requests the forks have sent upstream so far. */
    upstreamRequests: () => [...forks.values()].reduce((n, f) => n + f.relay.requests(), 0),
    /** Each fork relay's reads, cache hits and prefetches. */
    relayStats: () => [...forks.values()].map((f) => f.relay.stats()),
    /** The anvil processes, for memory measurements. */
    processes: () => [...forks.values()].map((f) => f.anvil.process),
    /** Stops every fork, including one still starting; a closed manager starts no more. */
    async close(): Promise<void> {
      closed = true
      await Promise.allSettled([...jobs.values()])
      const all = [...forks.values()]
      forks.clear()
      await Promise.all(all.map(stop))
    },
  }
}

export type ForkManager = ReturnType<typeof createForkManager>

/** Thrown by an exclusive run that changed the fork and could not revert it. */
export class ForkTaintedError extends RetryableError {
  override name = 'ForkTaintedError'
}

/**
 * The pid file: reaps what a killed predecessor left on creation, then tracks our own forks.
 * Each line is `<pid> <start time>`: with 32,768 pids a number comes back soon on a busy
 * machine, and only a process that started when ours did is ours to kill.
 */
function createPidFile(path: string | undefined) {
  const live = new Map<number, string>()
  if (path) {
    let stale: string[] = []
    try {
      stale = readFileSync(path, 'utf8').split('\n').filter(Boolean)
    } catch {
      // no file: nothing left behind
    }
    for (const line of stale) {
      const [pid, started] = line.split(' ')
      try {
        const same = started
          ? startTime(Number(pid)) === started
          : readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('anvil')
        if (same) process.kill(Number(pid), 'SIGKILL')
      } catch {
        // already gone
      }
    }
    writeFileSync(path, '')
  }
  const save = () =>
    path && writeFileSync(path, [...live].map(([pid, started]) => `${pid} ${started}\n`).join(''))
  return {
    add(pid: number | undefined) {
      if (pid === undefined) return
      live.set(pid, startTime(pid) ?? '')
      save()
    },
    remove(pid: number | undefined) {
      if (pid === undefined) return
      live.delete(pid)
      save()
    },
  }
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), if readable. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

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
