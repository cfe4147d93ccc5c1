import type { SafeTransaction } from '@safe-global/types-kit'
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  concat,
  decodeErrorResult,
  encodeFunctionData,
  type Hash,
  type Hex,
  parseAbi,
  parseEther,
  type TransactionReceipt,
} from 'viem'
import { sign } from 'viem/accounts'
import { guardTxFields } from '../../src/lab/demo-guard.js'
import { deployGuard } from '../../src/lab/guard.js'
import type { Lab, LabAccount } from '../../src/lab/index.js'
import type { ProtocolKit } from '../../src/lab/protocol-kit.js'
import { createSafeOf, deploySafeVersion, type LabSafeVersion } from '../../src/lab/safe-versions.js'
import type { Operation } from '../../src/model/safe.js'
import {
  CUSTOS_GUARD_ADDRESS,
  custosGuardAbi,
  enableGuardTx,
  type GuardSettings,
  guardCalldata,
} from '../../src/respond/guard/contract.js'

export const HOUR = 3600
export const DAY = 24 * HOUR

export const safeExecAbi = parseAbi([
  'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool)',
  'function nonce() view returns (uint256)',
  'function getTransactionHash(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) view returns (bytes32)',
  'function getStorageAt(uint256 offset, uint256 length) view returns (bytes)',
  'function enableModule(address module)',
  'function execTransactionFromModule(address to, uint256 value, bytes data, uint8 operation) returns (bool)',
  'function swapOwner(address prevOwner, address oldOwner, address newOwner)',
  'function getOwners() view returns (address[])',
  'function approveHash(bytes32 hashToApprove)',
])
const errorAbi = [
  ...custosGuardAbi.filter((i) => i.type === 'error'),
  ...parseAbi(['error Error(string)', 'error Panic(uint256)']),
] as Abi

export type GuardWorld = {
  lab: Lab
  version: LabSafeVersion
  safe: Address
  guard: Address
  owners: LabAccount[]
  guardian: LabAccount
  stranger: LabAccount
  settings: GuardSettings
  kit(owner: LabAccount): Promise<ProtocolKit>
}

export const DEFAULT_SETTINGS = (guardian: Address): GuardSettings => ({
  guardian,
  delay: HOUR,
  removalDelay: 7 * DAY,
  moduleAllowlist: [],
})

/** A two-of-three Safe of `version`, funded, with the guard turned on through protocol-kit as owners would. */
export async function guardedSafe(
  lab: Lab,
  version: LabSafeVersion,
  opts: { settings?: (guardian: Address) => GuardSettings; enable?: boolean; guard?: Address } = {},
): Promise<GuardWorld> {
  const [, a, b, c, guardian, stranger] = lab.accounts as LabAccount[]
  if (!a || !b || !c || !guardian || !stranger) throw new Error('lab accounts missing')
  const guard = opts.guard ?? (await deployGuard(lab))
  const deployment = await deploySafeVersion(lab, version)
  const safe = await createSafeOf(lab, deployment, {
    owners: [a.address, b.address, c.address],
    threshold: 2,
    fund: parseEther('100'),
  })
  const settings = (opts.settings ?? DEFAULT_SETTINGS)(guardian.address)
  const world: GuardWorld = {
    lab,
    version,
    safe,
    guard,
    owners: [a, b, c],
    guardian,
    stranger,
    settings,
    kit: (owner) => lab.kit(safe, owner),
  }
  if (opts.enable !== false) {
    const enable = enableGuardTx({
      safe,
      version,
      nonce: await safeNonce(world),
      settings,
      multiSendCallOnly: lab.contracts.multiSendCallOnly,
      guard,
    })
    const tx = await signTx(world, { to: enable.to, data: enable.data, operation: 1 })
    const kit = await world.kit(a)
    const result = await kit.executeTransaction(tx)
    const receipt = await lab.public.waitForTransactionReceipt({ hash: result.hash as Hash })
    if (receipt.status !== 'success') throw new Error('enabling the guard reverted')
  }
  return world
}

export const safeNonce = (w: GuardWorld): Promise<bigint> =>
  w.lab.public.readContract({ address: w.safe, abi: safeExecAbi, functionName: 'nonce' })

/** A Safe transaction created and signed through protocol-kit by `signers` (two owners by default). */
export async function signTx(
  w: GuardWorld,
  fields: { to: Address; value?: bigint; data?: Hex; operation?: Operation; nonce?: bigint },
  signers: LabAccount[] = w.owners.slice(0, 2),
): Promise<SafeTransaction> {
  const first = signers[0] ?? w.owners[0]
  if (!first) throw new Error('no signer')
  let tx = await (await w.kit(first)).createTransaction({
    transactions: [
      {
        to: fields.to,
        value: (fields.value ?? 0n).toString(),
        data: fields.data ?? '0x',
        operation: fields.operation ?? 0,
      },
    ],
    options: fields.nonce === undefined ? {} : { nonce: Number(fields.nonce) },
  })
  for (const signer of signers) tx = await (await w.kit(signer)).signTransaction(tx)
  return tx
}

export const fieldsOf = guardTxFields

export const hashOf = async (w: GuardWorld, tx: SafeTransaction): Promise<Hash> =>
  (await (await w.kit(w.owners[0] as LabAccount)).getTransactionHash(tx)) as Hash

export type Outcome = { ok: true; receipt: TransactionReceipt } | { ok: false; error: string }

/** The revert's error name (a guard error, or the Safe's GSxxx string), or the message when it has none. */
export function revertReason(error: unknown): string {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError)
    if (reverted instanceof ContractFunctionRevertedError && reverted.raw) return decodeRaw(reverted.raw)
    const withData = error.walk((e) => typeof (e as { data?: unknown }).data === 'string') as
      | { data?: Hex }
      | undefined
    if (withData?.data) return decodeRaw(withData.data)
    return error.shortMessage
  }
  return String(error)
}

function decodeRaw(raw: Hex): string {
  try {
    const decoded = decodeErrorResult({ abi: errorAbi, data: raw })
    return decoded.errorName === 'Error' ? String(decoded.args?.[0]) : decoded.errorName
  } catch {
    return raw
  }
}

/** Sends `data` to `to` from `from`, after an eth_call that names the error if it would revert. */
export async function send(lab: Lab, from: LabAccount, to: Address, data: Hex, value = 0n): Promise<Outcome> {
  try {
    await lab.public.call({ account: from.address, to, data, value })
  } catch (error) {
    return { ok: false, error: revertReason(error) }
  }
  const hash = await lab.wallet.sendTransaction({
    account: from.address,
    chain: null,
    to,
    data,
    value,
    gas: 3_000_000n,
  })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  if (receipt.status !== 'success') return { ok: false, error: 'reverted on chain' }
  return { ok: true, receipt }
}

export const execCalldata = (tx: SafeTransaction): Hex =>
  encodeFunctionData({
    abi: safeExecAbi,
    functionName: 'execTransaction',
    args: [
      tx.data.to as Address,
      BigInt(tx.data.value),
      tx.data.data as Hex,
      tx.data.operation,
      BigInt(tx.data.safeTxGas),
      BigInt(tx.data.baseGas),
      BigInt(tx.data.gasPrice),
      tx.data.gasToken as Address,
      tx.data.refundReceiver as Address,
      tx.encodedSignatures() as Hex,
    ],
  })

export const execute = (
  w: GuardWorld,
  tx: SafeTransaction,
  from: LabAccount = w.stranger,
): Promise<Outcome> => send(w.lab, from, w.safe, execCalldata(tx))

export const schedule = (
  w: GuardWorld,
  tx: SafeTransaction,
  from: LabAccount = w.stranger,
  signatures: Hex = tx.encodedSignatures() as Hex,
): Promise<Outcome> => send(w.lab, from, w.guard, guardCalldata.schedule(w.safe, fieldsOf(tx), signatures))

/** ECDSA signatures (v 27/28) of `hash` by `signers`, sorted by signer as the Safe requires. */
export async function rawSignatures(hash: Hash, signers: LabAccount[]): Promise<Hex> {
  const sorted = [...signers].sort((x, y) => (x.address.toLowerCase() < y.address.toLowerCase() ? -1 : 1))
  const parts = await Promise.all(sorted.map((s) => sign({ hash, privateKey: s.privateKey, to: 'hex' })))
  return concat(parts)
}

export const guardianDoes = (
  w: GuardWorld,
  action: 'approve' | 'cancel' | 'revoke',
  hash: Hash,
  from: LabAccount = w.guardian,
): Promise<Outcome> => send(w.lab, from, w.guard, guardCalldata[action](w.safe, hash))

export async function advance(lab: Lab, seconds: number): Promise<void> {
  await lab.test.increaseTime({ seconds })
  await lab.test.mine({ blocks: 1 })
}

export const readStatus = (w: GuardWorld, hash: Hash) =>
  w.lab.public.readContract({
    address: w.guard,
    abi: custosGuardAbi,
    functionName: 'status',
    args: [w.safe, hash],
  })

export const readSlot = async (w: GuardWorld, slot: Hash): Promise<Hex> =>
  w.lab.public.readContract({
    address: w.safe,
    abi: safeExecAbi,
    functionName: 'getStorageAt',
    args: [BigInt(slot), 1n],
  })

export { CUSTOS_GUARD_ADDRESS }
