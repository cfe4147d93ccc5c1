import type { Address } from 'viem'
import type { SimulatedCall } from '../model/check.js'
import { remoteError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'
import type { Simulation, SimulationResult } from '../model/simulation.js'
import { type PlainCallInput, simulatePlainCall } from './call.js'
import type { CustosGuardKnowledge } from './custos-guard.js'
import { createEndpoint, type Endpoint } from './endpoint.js'
import { createForkManager, type ForkOptions } from './fork.js'
import { type GovernanceSimInput, simulateGovernanceCalls } from './governance.js'
import { simulateGovernorLifecycle } from './governance-lifecycle.js'
import { type SafeSimInput, StaleForkError, simulateSafeTx } from './safe.js'

export type SimulatorOptions = ForkOptions & {
  /** `fork` (a warm local anvil fork of the RPC) or `direct` (the RPC traces the call itself). */
  mode: (chainId: number) => 'fork' | 'direct'
  /** A simulation that takes longer than this (ms) is reported as unavailable. */
  timeoutMs: number
  /** To tell the custos Guard on a Safe (at any address) and say when it lets a transaction run. */
  custosGuard: CustosGuardKnowledge
}

/** Simulates Safe transactions on a warm fork per chain (or directly on the RPC), never throwing. */
export function createSimulator(options: SimulatorOptions) {
  const forks = createForkManager(options)
  const known = { custosGuard: options.custosGuard }
  const once = async (chainId: number, upstreams: string[], input: SafeSimInput) => {
    if (options.mode(chainId) === 'direct') {
      const url = upstreams[0] ?? ''
      if (!/^https?:/.test(url))
        throw remoteError('direct simulation needs an http(s) RPC URL', { retryable: false })
      return simulateSafeTx(createEndpoint(url, 'direct', options.requestTimeoutMs), input, known)
    }
    try {
      return await forks.use(chainId, upstreams, (ep) => simulateSafeTx(ep, input, known))
    } catch (error) {
      if (!(error instanceof StaleForkError)) throw error
      // The chain moved in a way that matters for this Safe: re-fork at its latest block once.
      const { expected: _ignored, ...rest } = input
      return forks.use(chainId, upstreams, (ep) => simulateSafeTx(ep, rest, known), true)
    }
  }
  /** Runs `work` within the timeout, restarting a fork that died under it once; never throws. */
  const guarded = async (chainId: number, work: () => Promise<Simulation>): Promise<SimulationResult> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(remoteError(`simulation timed out after ${options.timeoutMs} ms`, { retryable: true })),
        options.timeoutMs,
      )
    })
    try {
      const attempt = async () => {
        try {
          return await work()
        } catch (error) {
          // A fork that died under us is restarted once; anything else is reported.
          if (
            options.mode(chainId) === 'fork' &&
            forks.processes().some((p) => p.exitCode !== null || p.signalCode !== null)
          ) {
            return work()
          }
          throw error
        }
      }
      return { ok: true, simulation: await Promise.race([attempt(), timeout]) }
    } catch (error) {
      return { ok: false, error: redactUrls(error instanceof Error ? error.message : String(error)) }
    } finally {
      clearTimeout(timer)
    }
  }
  const endpointFor = async <T>(
    chainId: number,
    upstreams: string[],
    fn: (ep: Endpoint) => Promise<T>,
    refresh = false,
  ) => {
    if (options.mode(chainId) === 'direct') {
      const url = upstreams[0] ?? ''
      if (!/^https?:/.test(url))
        throw remoteError('direct simulation needs an http(s) RPC URL', { retryable: false })
      return fn(createEndpoint(url, 'direct', options.requestTimeoutMs))
    }
    return forks.use(chainId, upstreams, fn, refresh)
  }

  return {
    async simulateSafe(chainId: number, upstreams: string[], input: SafeSimInput): Promise<SimulationResult> {
      if (upstreams.length === 0) return { ok: false, error: 'no RPC endpoint to simulate against' }
      return guarded(chainId, () => once(chainId, upstreams, input))
    },
    /**
     * A governance proposal's calls, run from its executor (see simulateGovernanceCalls); with
     * `lifecycle`, through the governor's real propose → vote → queue → execute on the fork
     * (see simulateGovernorLifecycle), which direct mode cannot do.
     */
    async simulateGovernance(
      chainId: number,
      upstreams: string[],
      input: GovernanceSimInput & { lifecycle?: { governor: Address; description: string } },
    ): Promise<SimulationResult> {
      if (upstreams.length === 0) return { ok: false, error: 'no RPC endpoint to simulate against' }
      const { lifecycle, ...rest } = input
      const run = (refresh: boolean) =>
        lifecycle && options.mode(chainId) === 'fork'
          ? forks.useExclusive(
              chainId,
              upstreams,
              (ep) => simulateGovernorLifecycle(ep, { ...rest, ...lifecycle }),
              refresh,
            )
          : options.mode(chainId) === 'fork'
            ? forks.use(chainId, upstreams, (ep) => simulateGovernanceCalls(ep, rest), refresh)
            : endpointFor(chainId, upstreams, (ep) => simulateGovernanceCalls(ep, rest))
      // A fork from before the proposal is moved forward once.
      return guarded(chainId, () =>
        run(false).catch((error) => {
          if (error instanceof StaleForkError) return run(true)
          throw error
        }),
      )
    },
    /**
     * One call as its sender would send it now (a protocol's pause from its guardian), on the
     * fork, moved forward first when it is behind `minBlock`. Never throws: a simulation that
     * could not run comes back `unavailable`.
     */
    async simulateCall(chainId: number, upstreams: string[], input: PlainCallInput): Promise<SimulatedCall> {
      if (upstreams.length === 0)
        return { ok: false, gas: 0n, unavailable: 'no RPC endpoint to simulate against' }
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`simulation timed out after ${options.timeoutMs} ms`)),
          options.timeoutMs,
        )
      })
      const run = (refresh: boolean) =>
        endpointFor(chainId, upstreams, (ep) => simulatePlainCall(ep, input), refresh)
      try {
        return await Promise.race([
          run(false).catch((error) => {
            if (error instanceof StaleForkError) return run(true)
            throw error
          }),
          timeout,
        ])
      } catch (error) {
        return {
          ok: false,
          gas: 0n,
          unavailable: redactUrls(error instanceof Error ? error.message : String(error)),
        }
      } finally {
        clearTimeout(timer)
      }
    },
    forks,
    close: () => forks.close(),
  }
}

export type Simulator = ReturnType<typeof createSimulator>
