import { readFileSync } from 'node:fs'

/** p-th percentile (nearest rank) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number
}

export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / (values.length || 1)

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

/** Resident memory of a process in MB (Linux /proc; 0 once it is gone). */
export function procRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}
