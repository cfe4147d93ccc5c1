import { type Address, getAddress, type Hex, pad, zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import type { AccountDiff } from '../../src/model/simulation.js'
import { parsePrestateDiff } from '../../src/simulate/diff.js'
import { mappingSlot, SENTINEL, SLOT, safeChanges } from '../../src/simulate/safe-slots.js'

const A = getAddress('0xaaaa000000000000000000000000000000000001')
const B = getAddress('0xbbbb000000000000000000000000000000000002')
const X = getAddress('0xeeee000000000000000000000000000000000009')
const SAFE = getAddress('0x5afe000000000000000000000000000000000000')
const before = {
  singleton: zeroAddress,
  owners: [A, B],
  threshold: 2n,
  nonce: 0n,
  modules: [],
  guard: zeroAddress,
  fallbackHandler: zeroAddress,
  moduleGuard: zeroAddress,
}
const word = (a: Address | bigint) =>
  typeof a === 'bigint' ? pad(`0x${a.toString(16)}`) : pad(a.toLowerCase() as Hex)
const diff = (storage: AccountDiff['storage']): AccountDiff => ({ address: SAFE, storage })

describe('safeChanges', () => {
  it('names an owner added at the head of the list, whose address only appears in the diff', () => {
    const changes = safeChanges(
      diff([
        { slot: mappingSlot(SENTINEL, SLOT.owners), before: word(A), after: word(X) },
        { slot: mappingSlot(X, SLOT.owners), before: word(0n), after: word(A) },
        { slot: SLOT.ownerCount, before: word(2n), after: word(3n) },
      ]),
      before,
      [],
    )
    expect(changes).toEqual([
      { field: 'owners', before: [A, B], after: [X, A, B], added: [X], removed: [] },
      { field: 'ownerCount', before: 2n, after: 3n },
    ])
  })

  it('finds an owner enabled in the mapping but not linked into the list', () => {
    const ghost = diff([{ slot: mappingSlot(X, SLOT.owners), before: word(0n), after: word(SENTINEL) }])
    // X is named once it appears anywhere in the call, trace or logs (here: a candidate).
    expect(safeChanges(ghost, before, [X])[0]).toMatchObject({
      field: 'owners',
      after: [A, B],
      added: [],
      removed: [],
      hidden: [X],
    })
    // Otherwise the write is still reported, as an unknown slot.
    expect(safeChanges(ghost, before, [])[0]?.field).toBe('storage')
  })

  it('keeps a write it cannot attribute as an unknown slot, never dropping it', () => {
    const slot = pad('0x1234')
    expect(safeChanges(diff([{ slot, before: word(0n), after: word(7n) }]), before, [])).toEqual([
      { field: 'storage', slot, before: word(0n), after: word(7n) },
    ])
  })

  it('says so when the owner list cannot be walked', () => {
    const [change] = safeChanges(
      diff([{ slot: mappingSlot(B, SLOT.owners), before: word(SENTINEL), after: word(X) }]),
      before,
      [],
    )
    expect(change?.field).toBe('owners')
    expect(String(change?.after)).toMatch(/^unreadable linked list/)
  })
})

describe('parsePrestateDiff', () => {
  it('treats slots missing on one side as zero and drops unchanged accounts', () => {
    const out = parsePrestateDiff({
      pre: {
        [SAFE.toLowerCase()]: { balance: '0x10', storage: { '0x01': '0x05' } },
        [A.toLowerCase()]: { balance: '0x1' },
      },
      post: { [SAFE.toLowerCase()]: { storage: { '0x02': '0x09' } } },
    })
    expect(out).toEqual([
      {
        address: SAFE,
        storage: [
          { slot: pad('0x01'), before: pad('0x05'), after: pad('0x00') },
          { slot: pad('0x02'), before: pad('0x00'), after: pad('0x09') },
        ],
      },
    ])
  })
})
