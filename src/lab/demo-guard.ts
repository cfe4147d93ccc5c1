import type { SafeTransaction } from '@safe-global/types-kit'
import { type Abi, type Address, decodeErrorResult, type Hash, type Hex } from 'viem'
import { execTransactionData, type Operation } from '../model/safe.js'
import { custosGuardAbi, enableGuardTx, type GuardSafeTx, guardCalldata } from '../respond/guard/contract.js'
import { deployGuard } from './guard.js'
import type { Lab, LabAccount } from './index.js'

// The demo Safe runs the custos Guard with custos as guardian: the owners turn it on as their
// first transaction, and an attacker who holds their signatures is shown what happens to them.

export const DEMO_GUARD_DELAY = 3600
export const DEMO_GUARD_REMOVAL_DELAY = 7 * 24 * 3600

/** Deploys the guard and has owners A and B turn it on (one MultiSendCallOnly batch at `nonce`). */
export async function enableDemoGuard(
  lab: Lab,
  safe: Address,
  owners: [LabAccount, LabAccount],
  guardian: Address,
): Promise<Address> {
  const guard = await deployGuard(lab)
  const kit = await lab.kit(safe, owners[0])
  const enable = enableGuardTx({
    safe,
    version: await kit.getContractVersion(),
    nonce: BigInt(await kit.getNonce()),
    settings: {
      guardian,
      delay: DEMO_GUARD_DELAY,
      removalDelay: DEMO_GUARD_REMOVAL_DELAY,
      moduleAllowlist: [],
    },
    multiSendCallOnly: lab.contracts.multiSendCallOnly,
    guard,
  })
  let tx = await kit.createTransaction({
    transactions: [{ to: enable.to, value: '0', data: enable.data, operation: 1 }],
  })
  tx = await kit.signTransaction(tx)
  tx = await (await lab.kit(safe, owners[1])).signTransaction(tx)
  const result = await kit.executeTransaction(tx)
  const receipt = await lab.public.waitForTransactionReceipt({ hash: result.hash as Hash })
  if (receipt.status !== 'success') throw new Error('lab: turning the custos Guard on reverted')
  return guard
}

export type AttemptResult = { ok: true; hash: Hash } | { ok: false; reason: string }

/** `from` sends execTransaction of a fully signed transaction: what an attacker holding the signatures does. */
export const attackerExecutes = (lab: Lab, from: Address, safe: Address, tx: SafeTransaction) =>
  attempt(lab, from, safe, execTransactionData({ safe, ...guardTxFields(tx) }, tx.encodedSignatures() as Hex))

/** `from` schedules a fully signed transaction on the guard, starting its delay. */
export const attackerSchedules = (
  lab: Lab,
  from: Address,
  guard: Address,
  safe: Address,
  tx: SafeTransaction,
) => attempt(lab, from, guard, guardCalldata.schedule(safe, guardTxFields(tx), tx.encodedSignatures() as Hex))

/** Sends a call, first asking the node whether it reverts and why (the guard's error, by name). */
async function attempt(lab: Lab, from: Address, to: Address, data: Hex): Promise<AttemptResult> {
  try {
    await lab.public.call({ account: from, to, data })
  } catch (error) {
    return { ok: false, reason: revertName(error) }
  }
  const hash = await lab.wallet.sendTransaction({ account: from, chain: null, to, data, gas: 1_000_000n })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
  return receipt.status === 'success' ? { ok: true, hash } : { ok: false, reason: 'reverted' }
}

function revertName(error: unknown): string {
  let e: unknown = error
  while (e && typeof e === 'object') {
    const data = (e as { data?: unknown }).data
    if (typeof data === 'string' && data.startsWith('0x') && data.length >= 10) {
      try {
        return decodeErrorResult({ abi: custosGuardAbi as Abi, data: data as Hex }).errorName
      } catch {
        return `error ${data.slice(0, 10)}`
      }
    }
    e = (e as { cause?: unknown }).cause
  }
  return error instanceof Error ? (error.message.split('\n')[0] ?? 'reverted') : 'reverted'
}

/** The signed fields of a protocol-kit transaction, as the guard's schedule() takes them. */
export const guardTxFields = (tx: SafeTransaction): GuardSafeTx => ({
  to: tx.data.to as Address,
  value: BigInt(tx.data.value),
  data: tx.data.data as Hex,
  operation: tx.data.operation as Operation,
  safeTxGas: BigInt(tx.data.safeTxGas),
  baseGas: BigInt(tx.data.baseGas),
  gasPrice: BigInt(tx.data.gasPrice),
  gasToken: tx.data.gasToken as Address,
  refundReceiver: tx.data.refundReceiver as Address,
  nonce: BigInt(tx.data.nonce),
})
