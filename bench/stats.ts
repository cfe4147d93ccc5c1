import { readdirSync, readFileSync } from 'node:fs'

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

/** A process's descendants (Linux /proc), children first. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue
      out.push(child)
      walk(child)
    }
  }
  walk(pid)
  return out
}

/** Memory a process holds alone (private clean and dirty pages) in MB; 0 once it is gone. */
export function procPrivateMb(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0)
    return (kb('Private_Clean') + kb('Private_Dirty')) / 1024
  } catch {
    return 0
  }
}

/** CPU time (user + system) of a process in clock ticks; 0 once it is gone. */
export function procTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return 0
  }
}

/** Whether a process is Node running custos (not one of its anvil forks). */
export function isCustos(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bin/custos.js')
  } catch {
    return false
  }
}
