import type { PublicClient } from 'viem'
import type { SimulationSummary } from '../model/governance.js'
import type { Report } from '../model/report.js'
import { inspectSafeTransaction, type Runtime } from '../pipeline.js'
import type { Simulator } from '../simulate/index.js'
import type { ScanOptions } from '../sources/governance-chain.js'
import type { ServiceTx } from '../sources/tx-json.js'
import { type GovernanceItem, inspectGovernance } from './inspect-governance.js'

/** What a source hands to inspect: a Safe transaction as the service lists it, or a proposal as its events gave it. */
export type Inspectable =
  | { origin: { kind: 'safe' }; source: ServiceTx; sameNonce?: ServiceTx[] }
  | GovernanceItem

export type InspectEnv = {
  client: PublicClient
  simulate?: { simulator: Simulator; upstreams: string[] }
  /** Where governance events are searched (the CLI's lookups). */
  scan: ScanOptions
  /** What the watch loop remembers of a governance proposal's first look. */
  firstSimulation?: SimulationSummary
  recordedPins?: Array<{ address: string; now: string | null }>
}

/** verify → simulate → guards → risk, for any kind of proposal: the one entry the watch loop uses. */
export function inspect(rt: Runtime, item: Inspectable, env: InspectEnv): Promise<Report> {
  if ('source' in item)
    return inspectSafeTransaction(rt, {
      source: item.source,
      client: env.client,
      ...(env.simulate ? { simulate: env.simulate } : {}),
      ...(item.sameNonce && item.sameNonce.length > 1 ? { sameNonce: item.sameNonce } : {}),
    })
  return inspectGovernance(rt, {
    find: item,
    client: env.client,
    scan: env.scan,
    ...(env.simulate ? { simulate: env.simulate } : {}),
    ...(env.firstSimulation ? { firstSimulation: env.firstSimulation } : {}),
    ...(env.recordedPins ? { recordedPins: env.recordedPins } : {}),
  })
}
