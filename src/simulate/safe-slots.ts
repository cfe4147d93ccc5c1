import {
  type Address,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hexToBigInt,
  keccak256,
  pad,
  zeroAddress,
} from 'viem'
import type { AccountDiff, SafeChange, SafeField } from '../model/simulation.js'
import { wordToAddress } from './diff.js'

// The Safe's storage layout (unchanged from 1.0.0 to 1.5.0). Owners and modules are linked lists
// in mappings, so their slots can only be named by hashing candidate addresses.
export const SLOT = {
  singleton: pad('0x00'),
  modules: 1n,
  owners: 2n,
  ownerCount: pad('0x03'),
  threshold: pad('0x04'),
  nonce: pad('0x05'),
  signedMessages: 7n,
  approvedHashes: 8n,
  guard: '0x4a204f620c8c5ccdca3fd54d003badd85ba500436a431f0cbda4f558c93c34c8',
  fallbackHandler: '0x6c9a6c4a39284e37ed1cf53d337577d14212a4870fb976a4366c693b939918d5',
  moduleGuard: '0xb104e0b93118902c651344349b610029d694cfdec91c589c91ebafbcd0289947',
} as const

export const SENTINEL: Address = '0x0000000000000000000000000000000000000001'

export const mappingSlot = (
  key: Address | Hex,
  slot: bigint,
  keyType: 'address' | 'bytes32' = 'address',
): Hex => keccak256(encodeAbiParameters([{ type: keyType }, { type: 'uint256' }], [key as never, slot]))

/** Slot of approvedHashes[owner][hash]. */
export const approvedHashSlot = (owner: Address, hash: Hex): Hex =>
  keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'bytes32' }],
      [hash, mappingSlot(owner, SLOT.approvedHashes)],
    ),
  )

export type SafeBefore = {
  singleton: Address
  owners: Address[]
  threshold: bigint
  nonce: bigint
  modules: Address[]
  guard: Address
  fallbackHandler: Address
  moduleGuard: Address
}

/**
 * Reads the Safe's changes from its own storage diff, whatever the selector or the events say.
 * `candidates` are addresses that may key the owners and modules mappings: the current owners and
 * modules, and every address seen in the call, trace, logs and diff.
 */
export function safeChanges(
  diff: AccountDiff | undefined,
  before: SafeBefore,
  candidates: Iterable<Address>,
  knownHashes: Hex[] = [],
): SafeChange[] {
  if (!diff || diff.storage.length === 0) return []
  const keys = new Set<Address>([SENTINEL, ...before.owners, ...before.modules, ...candidates])
  for (const s of diff.storage)
    for (const v of [s.before, s.after]) {
      const a = wordToAddress(v)
      if (a && a !== zeroAddress) keys.add(a)
    }
  const ownerSlot = new Map<Hex, Address>()
  const moduleSlot = new Map<Hex, Address>()
  for (const k of keys) {
    ownerSlot.set(mappingSlot(k, SLOT.owners), k)
    moduleSlot.set(mappingSlot(k, SLOT.modules), k)
  }
  const signedSlots = new Set(knownHashes.map((h) => mappingSlot(h, SLOT.signedMessages, 'bytes32')))
  const approvedSlots = new Set([...keys].flatMap((k) => knownHashes.map((h) => approvedHashSlot(k, h))))

  const changes: SafeChange[] = []
  const ownerEdits = new Map<Address, Address>()
  const moduleEdits = new Map<Address, Address>()
  const scalar = (field: SafeField, b: unknown, a: unknown) => changes.push({ field, before: b, after: a })
  for (const s of diff.storage) {
    const slot = s.slot.toLowerCase()
    const asAddress = (w: Hex) => wordToAddress(w) ?? w
    if (slot === SLOT.singleton) scalar('singleton', asAddress(s.before), asAddress(s.after))
    else if (slot === SLOT.threshold) scalar('threshold', hexToBigInt(s.before), hexToBigInt(s.after))
    else if (slot === SLOT.nonce) scalar('nonce', hexToBigInt(s.before), hexToBigInt(s.after))
    else if (slot === SLOT.ownerCount) scalar('ownerCount', hexToBigInt(s.before), hexToBigInt(s.after))
    else if (slot === SLOT.guard) scalar('guard', asAddress(s.before), asAddress(s.after))
    else if (slot === SLOT.fallbackHandler) scalar('fallbackHandler', asAddress(s.before), asAddress(s.after))
    else if (slot === SLOT.moduleGuard) scalar('moduleGuard', asAddress(s.before), asAddress(s.after))
    else if (ownerSlot.has(s.slot))
      ownerEdits.set(ownerSlot.get(s.slot) as Address, wordToAddress(s.after) ?? zeroAddress)
    else if (moduleSlot.has(s.slot))
      moduleEdits.set(moduleSlot.get(s.slot) as Address, wordToAddress(s.after) ?? zeroAddress)
    else if (signedSlots.has(s.slot)) scalar('signedMessages', s.before, s.after)
    else if (approvedSlots.has(s.slot)) scalar('approvedHashes', s.before, s.after)
    else changes.push({ field: 'storage', slot: s.slot, before: s.before, after: s.after })
  }
  if (ownerEdits.size) changes.push(listChange('owners', before.owners, ownerEdits))
  if (moduleEdits.size) changes.push(listChange('modules', before.modules, moduleEdits))
  const order: SafeField[] = [
    'singleton',
    'owners',
    'threshold',
    'modules',
    'guard',
    'moduleGuard',
    'fallbackHandler',
    'storage',
    'signedMessages',
    'approvedHashes',
    'ownerCount',
    'nonce',
  ]
  return changes.sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field))
}

/** Applies the edited `next` pointers to the linked list and walks it from the sentinel. */
function listChange(field: 'owners' | 'modules', list: Address[], edits: Map<Address, Address>): SafeChange {
  const next = new Map<Address, Address>()
  const chain = [SENTINEL, ...list]
  for (const [i, a] of chain.entries()) next.set(a, chain[i + 1] ?? SENTINEL)
  if (list.length === 0) next.set(SENTINEL, SENTINEL)
  for (const [k, v] of edits) next.set(k, v)
  const after: Address[] = []
  let cursor = next.get(SENTINEL)
  for (
    let steps = 0;
    cursor && cursor !== SENTINEL && cursor !== zeroAddress && steps <= next.size;
    steps++
  ) {
    after.push(getAddress(cursor))
    cursor = next.get(cursor)
  }
  const intact = cursor === SENTINEL || (cursor === zeroAddress && after.length === 0)
  const added = after.filter((a) => !list.includes(a))
  const removed = list.filter((a) => !after.includes(a))
  // An entry with a non-zero pointer that the list does not reach: the Safe's isOwner() (or
  // isModuleEnabled()) says yes for it although getOwners() does not show it.
  const hidden = [...edits]
    .filter(([k, v]) => k !== SENTINEL && v !== zeroAddress && !after.includes(k))
    .map(([k]) => k)
  const change: SafeChange = intact
    ? { field, before: list, after, added, removed }
    : { field, before: list, after: `unreadable linked list (${after.join(', ')}…)`, added, removed }
  return hidden.length ? { ...change, hidden } : change
}
