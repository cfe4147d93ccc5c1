import {
  type Address,
  concat,
  encodeFunctionData,
  encodePacked,
  getContractAddress,
  type Hash,
  type Hex,
  keccak256,
  parseAbi,
  size,
  toHex,
  zeroAddress,
} from 'viem'
import type { Operation, SafeTx } from '../../model/safe.js'
import { guardArtifact } from './artifact.js'

// Everything custos (and its CLI) needs to talk to the custos Guard: the committed build, its deterministic
// address, and typed encoders for every call, so nothing elsewhere hand-assembles calldata for it.

export const custosGuardAbi = guardArtifact.abi
export const custosGuardBytecode: Hex = guardArtifact.bytecode
export const custosGuardDeployedBytecode: Hex = guardArtifact.deployedBytecode

/** The deterministic deployment proxy (same address on every EVM chain; anvil has it from genesis). */
export const DETERMINISTIC_DEPLOYER: Address = '0x4e59b44847b379578588920cA78FbF26c0B4956C'
export const GUARD_SALT: Hash = keccak256(toHex('custos.guard.v1'))

/** Where the guard lives on every chain: CREATE2 of the committed bytecode through the proxy. */
export const CUSTOS_GUARD_ADDRESS: Address = getContractAddress({
  opcode: 'CREATE2',
  from: DETERMINISTIC_DEPLOYER,
  salt: GUARD_SALT,
  bytecode: custosGuardBytecode,
})

/**
 * The runtime code of the guard deployed at `address`: the committed runtime code with the address written where
 * its one immutable (SELF, which refuses DELEGATECALL) goes.
 */
export function guardRuntimeCode(address: Address = CUSTOS_GUARD_ADDRESS): Hex {
  let code = custosGuardDeployedBytecode.slice(2)
  const word = address.slice(2).toLowerCase().padStart(64, '0')
  for (const refs of Object.values(guardArtifact.immutableReferences))
    for (const { start, length } of refs)
      code = code.slice(0, start * 2) + word.slice(64 - length * 2) + code.slice((start + length) * 2)
  return `0x${code}`
}

/** The code hash an integration pins: anything else at the address is not this guard. */
export const CUSTOS_GUARD_CODE_HASH: Hash = keccak256(guardRuntimeCode())

/** The code hash of the custos Guard deployed at `address` (its code holds its own address, so each has its own). */
export const guardCodeHash = (address: Address): Hash => keccak256(guardRuntimeCode(address))

/** The transaction that deploys the guard: anyone may send it, the result is the same. */
export const guardDeployment = (): { to: Address; data: Hex } => ({
  to: DETERMINISTIC_DEPLOYER,
  data: concat([GUARD_SALT, custosGuardBytecode]),
})

export const MAX_GUARD_DELAY = 30n * 24n * 3600n

export type GuardSettings = {
  guardian: Address
  /** Seconds a scheduled transaction waits before it may run. */
  delay: number
  /** Seconds a guard removal or settings change waits; at least `delay`. */
  removalDelay: number
  /** Modules whose transactions pass the module guard (Safe 1.5.0). */
  moduleAllowlist: readonly Address[]
}

/** The transaction fields schedule() takes: a SafeTx without the Safe, which is its own argument. */
export type GuardSafeTx = Omit<SafeTx, 'safe'>

const asTuple = (tx: GuardSafeTx) => ({
  to: tx.to,
  value: tx.value,
  data: tx.data,
  operation: tx.operation,
  safeTxGas: tx.safeTxGas,
  baseGas: tx.baseGas,
  gasPrice: tx.gasPrice,
  gasToken: tx.gasToken,
  refundReceiver: tx.refundReceiver,
  nonce: tx.nonce,
})

export const guardCalldata = {
  configure: (s: GuardSettings): Hex =>
    encodeFunctionData({
      abi: custosGuardAbi,
      functionName: 'configure',
      args: [s.guardian, s.delay, s.removalDelay, s.moduleAllowlist],
    }),
  schedule: (safe: Address, tx: GuardSafeTx, signatures: Hex): Hex =>
    encodeFunctionData({
      abi: custosGuardAbi,
      functionName: 'schedule',
      args: [safe, asTuple(tx), signatures],
    }),
  approve: (safe: Address, hash: Hash): Hex =>
    encodeFunctionData({ abi: custosGuardAbi, functionName: 'approve', args: [safe, hash] }),
  revoke: (safe: Address, hash: Hash): Hex =>
    encodeFunctionData({ abi: custosGuardAbi, functionName: 'revoke', args: [safe, hash] }),
  cancel: (safe: Address, safeTxHash: Hash): Hex =>
    encodeFunctionData({ abi: custosGuardAbi, functionName: 'cancel', args: [safe, safeTxHash] }),
}

/** The Safe's own functions that point it at a guard (setModuleGuard exists from Safe 1.5.0 on). */
export const safeGuardAbi = parseAbi([
  'function setGuard(address guard)',
  'function setModuleGuard(address moduleGuard)',
  'function getStorageAt(uint256 offset, uint256 length) view returns (bytes)',
])
export const GUARD_STORAGE_SLOT: Hash = '0x4a204f620c8c5ccdca3fd54d003badd85ba500436a431f0cbda4f558c93c34c8'
export const MODULE_GUARD_STORAGE_SLOT: Hash =
  '0xb104e0b93118902c651344349b610029d694cfdec91c589c91ebafbcd0289947'

export const setGuardCalldata = (guard: Address): Hex =>
  encodeFunctionData({ abi: safeGuardAbi, functionName: 'setGuard', args: [guard] })
export const setModuleGuardCalldata = (guard: Address): Hex =>
  encodeFunctionData({ abi: safeGuardAbi, functionName: 'setModuleGuard', args: [guard] })

/** Safe versions the guard supports, and whether the version has a module guard. */
export function guardSupport(version: string): { supported: boolean; moduleGuard: boolean } {
  const v = version.replace(/\+L2$/, '')
  if (v === '1.3.0' || v === '1.4.1') return { supported: true, moduleGuard: false }
  if (v === '1.5.0') return { supported: true, moduleGuard: true }
  return { supported: false, moduleGuard: false }
}

/**
 * The one Safe transaction that turns the guard on: configure (first, while the guard is not yet the Safe's
 * guard, so it needs no clearance), setGuard, and on 1.5.0 setModuleGuard, as a MultiSendCallOnly batch
 * (DELEGATECALL to MultiSendCallOnly, which may only CALL).
 */
export function enableGuardTx(opts: {
  safe: Address
  version: string
  nonce: bigint
  settings: GuardSettings
  multiSendCallOnly: Address
  guard?: Address
}): SafeTx & { calls: { to: Address; data: Hex }[] } {
  const guard = opts.guard ?? CUSTOS_GUARD_ADDRESS
  const calls = [
    { to: guard, data: guardCalldata.configure(opts.settings) },
    { to: opts.safe, data: setGuardCalldata(guard) },
    ...(guardSupport(opts.version).moduleGuard
      ? [{ to: opts.safe, data: setModuleGuardCalldata(guard) }]
      : []),
  ]
  // MultiSend's packing (operation, to, value, data length, data), every call a CALL of no value.
  const packed = concat(
    calls.map((c) =>
      encodePacked(
        ['uint8', 'address', 'uint256', 'uint256', 'bytes'],
        [0, c.to, 0n, BigInt(size(c.data)), c.data],
      ),
    ),
  )
  return {
    safe: opts.safe,
    to: opts.multiSendCallOnly,
    value: 0n,
    data: encodeFunctionData({
      abi: parseAbi(['function multiSend(bytes transactions) payable']),
      functionName: 'multiSend',
      args: [packed],
    }),
    operation: 1,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce: opts.nonce,
    calls,
  }
}

/** A Safe transaction with every gas field zero, the form guard changes must have to be uncancellable. */
export const plainSafeTx = (
  safe: Address,
  fields: { to: Address; data: Hex; value?: bigint; operation?: Operation; nonce: bigint },
): SafeTx => ({
  safe,
  to: fields.to,
  value: fields.value ?? 0n,
  data: fields.data,
  operation: fields.operation ?? 0,
  safeTxGas: 0n,
  baseGas: 0n,
  gasPrice: 0n,
  gasToken: zeroAddress,
  refundReceiver: zeroAddress,
  nonce: fields.nonce,
})
