import type { Address } from 'viem'
import { CUSTOS_GUARD_ADDRESS, guardDeployment } from '../respond/guard/contract.js'
import { guardAttacks } from './guard-attacks.js'
import type { Lab } from './index.js'

/** Deploys the custos Guard at its deterministic address (through anvil's deterministic deployment proxy). */
export async function deployGuard(lab: Lab): Promise<Address> {
  const existing = await lab.public.getCode({ address: CUSTOS_GUARD_ADDRESS })
  if (existing && existing !== '0x') return CUSTOS_GUARD_ADDRESS
  const hash = await lab.wallet.sendTransaction({
    account: lab.accounts[0]?.address as Address,
    chain: null,
    ...guardDeployment(),
    gas: 6_000_000n,
  })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  const code = await lab.public.getCode({ address: CUSTOS_GUARD_ADDRESS })
  if (receipt.status !== 'success' || !code || code === '0x')
    throw new Error(`lab: deploying the custos Guard at ${CUSTOS_GUARD_ADDRESS} failed`)
  return CUSTOS_GUARD_ADDRESS
}

/** Deploys one of the lab's attacks on the guard (contracts/lab/GuardAttacks.sol). */
export async function deployGuardAttack(
  lab: Lab,
  name: keyof typeof guardAttacks.contracts,
): Promise<Address> {
  const { abi, bytecode } = guardAttacks.contracts[name]
  const hash = await lab.wallet.deployContract({
    account: lab.accounts[0]?.address as Address,
    chain: null,
    abi,
    bytecode,
  })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  if (!receipt.contractAddress) throw new Error(`lab: deploying ${name} failed`)
  return receipt.contractAddress
}
