import type { Address } from 'viem'

/**
 * When a transaction the custos Guard holds would run, as its records said at the simulated block:
 * - `now`: the guardian approved it, its delay passed, it is the canonical rejection, or the Safe never
 *   configured the guard (which then passes everything through);
 * - `after-delay`: scheduled, from `executableAt` on (unless the guardian cancels it first);
 * - `never`: the guardian cancelled it;
 * - `needs-schedule`: neither approved nor scheduled; it runs only once someone schedules it with the owners'
 *   signatures and the delay passes (`removalDelay` for a guard change), or the guardian approves it;
 * - `unknown`: the guard could not be read, or what it said disagrees with the simulation (`reason` says which).
 */
export type CustosGuardRun = 'now' | 'after-delay' | 'never' | 'needs-schedule' | 'unknown'

export type CustosGuardView = {
  runs: CustosGuardRun
  /** One sentence, for people. */
  reason: string
  /** Unix seconds from which a scheduled transaction may run. */
  executableAt?: bigint
  /** The settings the Safe gave the guard; absent when they could not be read. */
  guardian?: Address
  /** Seconds. */
  delay?: number
  /** Seconds. */
  removalDelay?: number
  /** 0: the Safe never configured the guard. */
  epoch?: number
  /** It changes the guard or its settings, so it waits `removalDelay` and no approval lets it run early. */
  guardChange?: boolean
  /** What the guard's `status(safe, safeTxHash)` answered. */
  status?: {
    approved: boolean
    scheduled: boolean
    cancelled: boolean
    scheduledAt: bigint
    executableAt: bigint
    clearedAt: bigint
  }
}

const SHORT: Record<CustosGuardRun, string> = {
  now: 'runs now',
  'after-delay': 'runs after the delay',
  never: 'never runs',
  'needs-schedule': 'runs only once scheduled',
  unknown: 'unknown',
}

/** "runs after the delay, from 2026-…Z: <reason>" — the one line every rendering shows. */
export function custosGuardLine(v: {
  runs: CustosGuardRun
  reason: string
  executableAt?: bigint | string | undefined
}): string {
  const from =
    v.runs === 'after-delay' && v.executableAt !== undefined ? `, from ${isoTime(v.executableAt)}` : ''
  return `${SHORT[v.runs] ?? String(v.runs)}${from}: ${v.reason}`
}

/** Unix seconds as an ISO time (UTC); a value no Date can hold is shown as seconds. */
export function isoTime(seconds: bigint | string | number): string {
  const ms = Number(seconds) * 1000
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
    ? new Date(ms).toISOString().replace('.000Z', 'Z')
    : `${seconds} s`
}

/** Seconds as people read a delay: `90 s`, `30 min`, `1 h`, `7 d`, `1 h 30 min`. */
export function duration(seconds: number): string {
  if (seconds < 60 || seconds % 60 !== 0) return `${seconds} s`
  const d = Math.floor(seconds / 86_400)
  const h = Math.floor((seconds % 86_400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  return [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ')
}
