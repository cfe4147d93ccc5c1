import { type Address, getAddress, type Hex, keccak256, pad, stringToHex } from 'viem'
import type { AccountDiff, TraceCall } from '../model/simulation.js'
import { wordToAddress } from './diff.js'
import { SLOT } from './safe-slots.js'

// The run that shows what a transaction intends on a Safe whose guard blocks it swaps the guard
// for a stand-in that lets everything through (its code a bare STOP: every call to it succeeds
// and returns nothing, which is all the Safe asks of a guard). Clearing the slot to zero instead
// hid a transaction that removes the guard (zero to zero is no change); with the stand-in, a
// removal or a replacement shows as a change from the real guard. The stand-in itself is taken
// out of what the run shows: its calls from the trace, its address from the guard slot's diff.

/** An address no key controls and no contract lives at (the hash of a sentence, cut to 20 bytes). */
export const INTENT_GUARD: Address = getAddress(
  `0x${keccak256(stringToHex('custos: the stand-in guard of a simulation of intent')).slice(26)}`,
)

/** The state overrides that put the stand-in in the Safe's guard slot. */
export function standInGuard(safeStateDiff: Record<Hex, Hex>): Record<Address, { code: Hex }> {
  safeStateDiff[SLOT.guard as Hex] = pad(INTENT_GUARD)
  return { [INTENT_GUARD]: { code: '0x00' } }
}

/** The run as it would read with the real guard in place (its calls to the stand-in removed). */
export function withoutStandIn(
  trace: TraceCall,
  diff: AccountDiff[],
  safe: Address,
  guard: Address,
): { trace: TraceCall; diff: AccountDiff[] } {
  const strip = (f: TraceCall): TraceCall => ({
    ...f,
    calls: f.calls.filter((c) => c.to.toLowerCase() !== INTENT_GUARD.toLowerCase()).map(strip),
  })
  const real = pad(guard)
  return {
    trace: strip(trace),
    diff: diff
      .filter((d) => d.address.toLowerCase() !== INTENT_GUARD.toLowerCase())
      .map((d) =>
        d.address.toLowerCase() !== safe.toLowerCase()
          ? d
          : {
              ...d,
              storage: d.storage
                .map((s) =>
                  s.slot.toLowerCase() === SLOT.guard && wordToAddress(s.before) === INTENT_GUARD
                    ? { ...s, before: real }
                    : s,
                )
                // Set back to the real guard: no change after all.
                .filter((s) => s.before.toLowerCase() !== s.after.toLowerCase()),
            },
      ),
  }
}
