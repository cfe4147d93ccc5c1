import { type Address, getAddress } from 'viem'
import type { Config } from '../config/schema.js'

// What custos watches is one kind of thing, whatever YAML section it came from: a Safe, a
// governor, a timelock or a protocol is a target with a chain, an address, a name and its own
// settings.
// Every lookup (names, policy, ladder, silences, status, reports) goes through `Targets.get`.

export type TargetKind = 'safe' | 'governor' | 'timelock' | 'protocol'

type SafeEntry = Config['safes'][number]
type GovernanceEntry = Config['governors'][number]
type ProtocolEntry = Config['protocols'][number]

export type Target = {
  kind: TargetKind
  chainId: number
  /** Checksummed. */
  address: Address
  name: string
  /** `chainId:address` in lower case: the key of silences, epochs and cached state. */
  key: string
  policy?: SafeEntry['policy'] | GovernanceEntry['policy']
  escalation?: SafeEntry['escalation'] | GovernanceEntry['escalation']
  /** What the drift watchdog asserts (Safes only). */
  expected?: SafeEntry['expected']
  /** Accounts besides the owners that execute a Safe's transactions (Safes only). */
  relayers: Address[]
  /** A protocol's checks and pause calls (protocols only). */
  protocol?: Pick<ProtocolEntry, 'checks' | 'pauses'>
  /** The Safe runs the custos Guard with custos as guardian (Safes only). */
  guard?: SafeEntry['guard']
}

export interface Targets {
  readonly all: readonly Target[]
  /** The target at `address` on `chainId`, if custos watches it. */
  get(chainId: number, address: string): Target | undefined
  ofKind(...kinds: TargetKind[]): Target[]
  /** The chains that have a target of these kinds (every kind when none is given). */
  chains(...kinds: TargetKind[]): number[]
  /** Targets a person names: by name (any case) or by address, on every chain. */
  named(text: string): Target[]
}

export const targetKey = (chainId: number, address: string) => `${chainId}:${address.toLowerCase()}`

/** Flattens the config's `safes`, `governors`, `timelocks` and `protocols` into targets, once. */
export function createTargets(
  config: Pick<Config, 'safes' | 'governors' | 'timelocks'> & Partial<Pick<Config, 'protocols'>>,
): Targets {
  const all: Target[] = []
  const add = (kind: TargetKind, e: SafeEntry | GovernanceEntry | ProtocolEntry) => {
    const address = getAddress(e.address)
    all.push({
      kind,
      chainId: e.chainId,
      address,
      name: e.name,
      key: targetKey(e.chainId, address),
      ...(e.policy ? { policy: e.policy } : {}),
      ...(e.escalation ? { escalation: e.escalation } : {}),
      ...('expected' in e && e.expected ? { expected: e.expected } : {}),
      ...('guard' in e && e.guard ? { guard: e.guard } : {}),
      relayers: 'relayers' in e ? e.relayers.map((r) => getAddress(r)) : [],
      ...('checks' in e ? { protocol: { checks: e.checks, pauses: e.pauses } } : {}),
    })
  }
  for (const s of config.safes) add('safe', s)
  for (const g of config.governors) add('governor', g)
  for (const t of config.timelocks) add('timelock', t)
  for (const p of config.protocols ?? []) add('protocol', p)
  const byKey = new Map<string, Target>()
  for (const t of all) if (!byKey.has(t.key)) byKey.set(t.key, t)
  return {
    all,
    get: (chainId, address) => byKey.get(targetKey(chainId, address)),
    ofKind: (...kinds) => all.filter((t) => kinds.includes(t.kind)),
    chains: (...kinds) => [
      ...new Set(all.filter((t) => kinds.length === 0 || kinds.includes(t.kind)).map((t) => t.chainId)),
    ],
    named(text) {
      const q = text.trim().toLowerCase()
      return all.filter((t) => t.name.toLowerCase() === q || t.address.toLowerCase() === q)
    },
  }
}

/**
 * How people read a proposal's key: a Safe's nonce, a governor's proposal id, a timelock's
 * operation, a protocol check's episode (`<check id>:<since ms>`).
 */
export function describeKey(kind: TargetKind, key: string): string {
  if (kind === 'safe') return `nonce ${key}`
  if (kind === 'protocol') return `check ${key.split(':')[0]}`
  if (kind === 'governor') return `proposal ${key.length > 16 ? `${key.slice(0, 8)}…${key.slice(-6)}` : key}`
  return `operation ${key.slice(0, 10)}…`
}
