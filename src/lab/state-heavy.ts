import { type Address, encodeFunctionData, getAddress, type Hex, keccak256, parseAbi, toHex } from 'viem'
import { packMultiSend } from '../model/multisend.js'
import type { SafeTx } from '../model/safe.js'
import { deployTestToken } from './deploy.js'
import type { Lab, LabAccount } from './index.js'

// Transactions that touch a lot of state the chain has never been asked about: many tokens,
// many fresh recipients, hundreds of storage slots (what makes a cold fork slow).

const erc20 = parseAbi(['function transfer(address to, uint256 amount) returns (bool)'])
const multiSendAbi = parseAbi(['function multiSend(bytes transactions)'])

/** `count` more ERC20 test tokens; account 0 holds each one's supply (10^15). */
export async function deployTokens(lab: Lab, count: number): Promise<Address[]> {
  const deployer = (lab.accounts[0] as LabAccount).address
  const clients = { test: lab.test, wallet: lab.wallet, public: lab.public, deployer }
  const out: Address[] = []
  for (let i = 0; i < count; i++) out.push(await deployTestToken(clients))
  return out
}

/** Sends `amount` of each token from account 0 to `to`. */
export async function fundTokens(lab: Lab, tokens: Address[], to: Address, amount: bigint): Promise<void> {
  for (const token of tokens) {
    const hash = await lab.wallet.writeContract({
      account: (lab.accounts[0] as LabAccount).address,
      chain: null,
      address: token,
      abi: erc20,
      functionName: 'transfer',
      args: [to, amount],
    })
    const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
    if (receipt.status !== 'success') throw new Error(`lab: funding ${to} with ${token} reverted`)
  }
}

/** `count` addresses no one has used, the same for the same `seed`. */
export function freshAddresses(seed: string, count: number): Address[] {
  return Array.from({ length: count }, (_, i) =>
    getAddress(`0x${keccak256(toHex(`${seed}:${i}`)).slice(26)}`),
  )
}

/** One transfer of `amount` of each token to each recipient. */
export function transferCalls(
  tokens: Address[],
  recipients: Address[],
  amount: bigint,
): Array<{ to: Address; value: bigint; data: Hex }> {
  return tokens.flatMap((token) =>
    recipients.map((r) => ({
      to: token,
      value: 0n,
      data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [r, amount] }),
    })),
  )
}

/** A Safe transaction making `calls` through MultiSendCallOnly (a DELEGATECALL, as the Safe UI does). */
export function multiSendTx(
  lab: Lab,
  safe: Address,
  calls: Array<{ to: Address; value: bigint; data: Hex }>,
  nonce = 0n,
): SafeTx {
  return {
    safe,
    to: lab.contracts.multiSendCallOnly,
    value: 0n,
    data: encodeFunctionData({
      abi: multiSendAbi,
      functionName: 'multiSend',
      args: [packMultiSend(calls.map((c) => ({ operation: 0, ...c })))],
    }),
    operation: 1,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: '0x0000000000000000000000000000000000000000',
    refundReceiver: '0x0000000000000000000000000000000000000000',
    nonce,
  }
}
