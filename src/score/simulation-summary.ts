import type { SimulationSummary } from '../model/governance.js'
import type { AssetChange, Simulation } from '../model/simulation.js'

const line = (c: Pick<AssetChange, 'token' | 'from' | 'to'> & { amount: bigint | string }) =>
  `${(c.token ?? 'native').toLowerCase()}:${c.from.toLowerCase()}:${c.to.toLowerCase()}:${c.amount.toString()}`

/** What a simulation showed, comparable with a later one. */
export function summarizeSimulation(sim: Simulation, checkedAt: string): SimulationSummary {
  return { checkedAt, success: sim.success, assetChanges: sim.assetChanges.map(line).sort() }
}

/** The same, read back from a stored report's JSON (undefined when it had no simulation). */
export function summaryFromReportJson(json: unknown): SimulationSummary | undefined {
  const r = json as {
    checkedAt?: string
    simulation?: {
      available?: boolean
      success?: boolean
      assetChanges?: Array<{ token: string | null; from: string; to: string; amount: string }>
    }
  }
  const sim = r?.simulation
  if (!sim?.available || typeof sim.success !== 'boolean') return undefined
  return {
    checkedAt: r.checkedAt ?? '',
    success: sim.success,
    assetChanges: (sim.assetChanges ?? [])
      .map((c) =>
        line({
          token: c.token as `0x${string}` | null,
          from: c.from as `0x${string}`,
          to: c.to as `0x${string}`,
          amount: c.amount,
        }),
      )
      .sort(),
  }
}
