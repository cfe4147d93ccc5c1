import { type Abi, type Address, getAddress, type Hash, type Hex, type TransactionReceipt } from 'viem'
import type { Lab } from '../index.js'

// Transaction plumbing shared by the governance helpers. Accounts are addresses that anvil has unlocked
// (the lab's dev accounts, or any address after anvil_impersonateAccount).

export async function receipt(lab: Lab, hash: Hash, what: string): Promise<TransactionReceipt> {
  const r = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  if (r.status !== 'success') throw new Error(`lab: ${what} reverted (${hash})`)
  return r
}

/** Waits for a transaction being sent (a revert while sending throws viem's decoded reason). */
export async function mined(lab: Lab, sending: Promise<Hash>, what: string): Promise<TransactionReceipt> {
  return receipt(lab, await sending, what)
}

export async function deploy(
  lab: Lab,
  from: Address,
  artifact: { abi: Abi; bytecode: Hex },
  args: readonly unknown[],
  nonce?: number,
): Promise<Address> {
  const hash = await lab.wallet.deployContract({
    account: from,
    chain: null,
    abi: artifact.abi,
    bytecode: artifact.bytecode,
    args,
    ...(nonce === undefined ? {} : { nonce }),
  })
  const r = await receipt(lab, hash, 'deployment')
  if (!r.contractAddress) throw new Error(`lab: deployment ${hash} created no contract`)
  return getAddress(r.contractAddress)
}

/** Mines until the latest block number is at least `block`. */
export async function mineUntil(lab: Lab, block: bigint): Promise<void> {
  const head = await lab.public.getBlockNumber({ cacheTime: 0 })
  if (head < block) await lab.test.mine({ blocks: Number(block - head) })
}

/** Moves time forward until the latest block's timestamp is at least `timestamp`. */
export async function warpTo(lab: Lab, timestamp: bigint): Promise<void> {
  const latest = await lab.public.getBlock({ blockTag: 'latest' })
  if (latest.timestamp >= timestamp) return
  await lab.test.increaseTime({ seconds: Number(timestamp - latest.timestamp) })
  await lab.test.mine({ blocks: 1 })
}

/**
 * Whether the chain runs MCOPY (Cancun and later). Probed by executing it, since what matters is whether
 * OZ 5.7's code can run; sent without viem, whose transport would retry the failure for a second.
 */
export async function runsMcopy(lab: Lab): Promise<boolean> {
  // Init code: PUSH1 0 PUSH1 0 PUSH1 0 MCOPY STOP
  const params = [{ data: '0x6000600060005e00' }, 'latest']
  const res = await fetch(lab.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params }),
  })
  const body = (await res.json()) as { result?: unknown; error?: unknown }
  return body.error === undefined && body.result !== undefined
}
