import type { Address } from 'viem'
import { errorText } from '../model/redact.js'
import type { RateGate } from './rate-gate.js'
import type { ServiceTx } from './tx-json.js'

export type PollTarget = { chainId: number; safe: Address }

export type ServicePollerDeps = {
  targets: PollTarget[]
  intervalMs: number
  /** Pending transactions of a Safe from `fromNonce` on (competing ones included), and what was wrong with the list. */
  pending(target: PollTarget, fromNonce: bigint): Promise<{ txs: ServiceTx[]; problems: string[] }>
  /** The Safe's nonce, read from the chain (not from the service). */
  currentNonce(target: PollTarget): Promise<bigint>
  onTransactions(target: PollTarget, txs: ServiceTx[], nonce: bigint, problems: string[]): Promise<void>
  onResult(target: PollTarget, ok: boolean, error?: string): void
  /** The rate gate of the service this target is polled from. */
  gate(target: PollTarget): RateGate
  /** Runs `round` on a schedule; returns a stop function (on the wall clock in production). */
  schedule(round: () => void): () => void
}

/**
 * Polls the transaction service for every watched Safe once per interval, spreading the Safes
 * over the interval so requests do not arrive in bursts. A Safe whose previous poll is still
 * running is skipped for this round. `pollNow` answers a push hint at once.
 */
export function createServicePoller(deps: ServicePollerDeps) {
  const busy = new Set<string>()
  const timers = new Set<NodeJS.Timeout>()
  let stopSchedule: (() => void) | undefined
  let stopped = false
  const key = (t: PollTarget) => `${t.chainId}:${t.safe}`

  const poll = async (target: PollTarget): Promise<void> => {
    if (busy.has(key(target)) || stopped) return
    busy.add(key(target))
    try {
      await deps.gate(target).wait()
      const nonce = await deps.currentNonce(target)
      const { txs, problems } = await deps.pending(target, nonce)
      await deps.onTransactions(target, txs, nonce, problems)
      deps.onResult(target, true)
    } catch (error) {
      deps.onResult(target, false, errorText(error))
    } finally {
      busy.delete(key(target))
    }
  }

  const round = () => {
    const n = deps.targets.length
    deps.targets.forEach((target, i) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer)
          void poll(target)
        },
        Math.floor((i * deps.intervalMs) / Math.max(n, 1)),
      )
      timers.add(timer)
    })
  }

  return {
    start() {
      stopped = false
      round()
      stopSchedule = deps.schedule(round)
    },
    pollNow: (target: PollTarget) => poll(target),
    busy: () => busy.size,
    stop() {
      stopped = true
      stopSchedule?.()
      for (const t of timers) clearTimeout(t)
      timers.clear()
    },
  }
}

export type ServicePoller = ReturnType<typeof createServicePoller>
