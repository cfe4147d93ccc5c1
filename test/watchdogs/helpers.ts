import { type Address, getAddress } from 'viem'
import { check } from '../../src/config/protocols.js'
import type { CheckResult, ReadResult, RoundFacts, SimulatedCall } from '../../src/model/check.js'
import type { CheckOf } from '../../src/watchdogs/define.js'

// Table tests of the check kinds: a check as the config gives it (defaults applied), the facts a
// round read, and the problem codes the check finds.

export const A: Address = getAddress('0x00000000000000000000000000000000000000a1')
export const B: Address = getAddress('0x00000000000000000000000000000000000000b2')
export const C: Address = getAddress('0x00000000000000000000000000000000000000c3')
export const FEED: Address = getAddress('0x000000000000000000000000000000000000fee1')
export const POOL: Address = getAddress('0x0000000000000000000000000000000000009001')

export const parseCheck = <K extends CheckOf<never>['kind'] | string>(raw: Record<string, unknown>) =>
  check.parse({ id: 'c', ...raw }) as CheckOf<K & CheckOf<never>['kind']>

/** Reads by key: a value, or an Error for a read that failed. */
export function facts(
  reads: Record<string, unknown>,
  extra: { timestamp?: bigint; block?: bigint; simulation?: SimulatedCall; maxFeePerGas?: bigint } = {},
): RoundFacts {
  const map = new Map<string, ReadResult>()
  for (const [k, v] of Object.entries(reads))
    map.set(k, v instanceof Error ? { ok: false, error: v.message } : { ok: true, value: v })
  return {
    block: extra.block ?? 100n,
    timestamp: extra.timestamp ?? 1_000_000n,
    reads: map,
    ...(extra.simulation ? { simulation: extra.simulation } : {}),
    ...(extra.maxFeePerGas !== undefined ? { maxFeePerGas: extra.maxFeePerGas } : {}),
  }
}

export const codes = (r: CheckResult) => r.problems.map((p) => p.code)
