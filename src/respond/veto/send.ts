import type { Address, Hash, Hex, PublicClient } from 'viem'
import { FatalError } from '../../model/errors.js'
import { revertOf } from '../../model/revert.js'
import type { UnsignedTx, VetoTxParams } from '../veto-signer.js'

// The guardian's own transactions: nonce, fees and gas from the node. A draft gives the calldata
// the signer builds, whose gas is then estimated for the final one.

export async function prepared(
  client: PublicClient,
  from: Address,
  build: (params: VetoTxParams) => UnsignedTx,
): Promise<UnsignedTx> {
  const [nonce, fee] = await Promise.all([
    client.getTransactionCount({ address: from, blockTag: 'pending' }),
    client.estimateFeesPerGas(),
  ])
  const base = {
    nonce,
    maxFeePerGas: fee.maxFeePerGas ?? 0n,
    maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? 0n,
  }
  const draft = build({ ...base, gas: 1_000_000n })
  let gas: bigint
  try {
    gas = await client.estimateGas({ account: from, to: draft.to, data: draft.data, value: draft.value })
  } catch (error) {
    // A revert is named (a role revoked, the guard's refusal), not shown as a bare selector.
    const reason = revertOf(error)
    if (reason === undefined) throw error
    throw new FatalError(`it reverts: ${reason}`, { cause: error })
  }
  return build({ ...base, gas: (gas * 13n) / 10n + 20_000n })
}

/** Sends a signed transaction and waits for its receipt. */
export async function send(client: PublicClient, raw: Hex): Promise<{ hash: Hash; ok: boolean }> {
  const hash = await client.sendRawTransaction({ serializedTransaction: raw })
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 120_000 })
  return { hash, ok: receipt.status === 'success' }
}
