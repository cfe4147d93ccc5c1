import {
  type Address,
  getAddress,
  type Hash,
  type Hex,
  keccak256,
  type PublicClient,
  zeroAddress,
} from 'viem'
import {
  CUSTOS_GUARD_ADDRESS,
  custosGuardAbi,
  GUARD_STORAGE_SLOT,
  guardCodeHash,
  MODULE_GUARD_STORAGE_SLOT,
  safeGuardAbi,
} from './contract.js'

// Reading the guard and a Safe's guard slots: for the CLI now, and for the watch loop later.

export type GuardDeployment = { address: Address; deployed: boolean; codeMatches: boolean }

/** Whether the custos Guard is at its address on this chain, with exactly the committed code. */
export async function readGuardDeployment(
  client: PublicClient,
  address: Address = CUSTOS_GUARD_ADDRESS,
): Promise<GuardDeployment> {
  const code = await client.getCode({ address })
  const deployed = code !== undefined && code !== '0x'
  return { address, deployed, codeMatches: deployed && keccak256(code as Hex) === guardCodeHash(address) }
}

export type OnChainGuardSettings = {
  guardian: Address
  delay: number
  removalDelay: number
  /** 0: the Safe never configured the guard (it passes through). */
  epoch: number
  moduleAllowlist: Address[]
}

export async function readGuardSettings(
  client: PublicClient,
  safe: Address,
  guard: Address = CUSTOS_GUARD_ADDRESS,
): Promise<OnChainGuardSettings> {
  const [guardian, delay, removalDelay, epoch, moduleAllowlist] = await client.readContract({
    address: guard,
    abi: custosGuardAbi,
    functionName: 'settings',
    args: [safe],
  })
  return { guardian, delay, removalDelay, epoch, moduleAllowlist: [...moduleAllowlist] }
}

/** The Safe's transaction guard and module guard (the latter is unused storage before 1.5.0). */
export async function readSafeGuards(
  client: PublicClient,
  safe: Address,
): Promise<{ guard: Address; moduleGuard: Address }> {
  const read = async (slot: Hash) => {
    const word = await client.readContract({
      address: safe,
      abi: safeGuardAbi,
      functionName: 'getStorageAt',
      args: [BigInt(slot), 1n],
    })
    return word.length >= 42 ? getAddress(`0x${word.slice(-40)}`) : zeroAddress
  }
  const [guard, moduleGuard] = await Promise.all([read(GUARD_STORAGE_SLOT), read(MODULE_GUARD_STORAGE_SLOT)])
  return { guard, moduleGuard }
}

export type GuardTxStatus = {
  approved: boolean
  scheduled: boolean
  cancelled: boolean
  guardChange: boolean
  scheduledAt: bigint
  executableAt: bigint
  clearedAt: bigint
}

export async function readGuardTxStatus(
  client: PublicClient,
  safe: Address,
  hash: Hash,
  guard: Address = CUSTOS_GUARD_ADDRESS,
): Promise<GuardTxStatus> {
  return client.readContract({
    address: guard,
    abi: custosGuardAbi,
    functionName: 'status',
    args: [safe, hash],
  })
}
