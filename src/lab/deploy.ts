import {
  type Address,
  concat,
  getAddress,
  getContractAddress,
  type Hex,
  type PublicClient,
  pad,
  type TestClient,
  type WalletClient,
} from 'viem'
import { SAFE_141 } from './artifacts.js'

// Safe deploys its contracts through the Safe singleton factory with a zero salt, which gives
// the same ("canonical") address on every chain. Its code is the well-known deterministic
// deployment proxy that anvil already has at 0x4e59…; copying it to the factory's address lets
// the lab reproduce the canonical addresses exactly.
const ANVIL_CREATE2_DEPLOYER: Address = '0x4e59b44847b379578588920cA78FbF26c0B4956C'
export const SAFE_SINGLETON_FACTORY: Address = '0x914d7Fec6aaC8cd542e72Bca78B30650d45643d7'
const ZERO_SALT = pad('0x00', { size: 32 })

export type SafeContracts = {
  safe: Address
  safeL2: Address
  proxyFactory: Address
  multiSend: Address
  multiSendCallOnly: Address
  fallbackHandler: Address
  signMessageLib: Address
  createCall: Address
  simulateTxAccessor: Address
}

type Clients = { test: TestClient; wallet: WalletClient; public: PublicClient; deployer: Address }

/** Deploys the Safe 1.4.1 contracts at their canonical addresses. */
export async function deploySafeContracts(c: Clients): Promise<SafeContracts> {
  const factoryCode = await c.public.getCode({ address: ANVIL_CREATE2_DEPLOYER })
  if (!factoryCode)
    throw new Error('anvil has no CREATE2 deployer at 0x4e59…; cannot place contracts at canonical addresses')
  await c.test.setCode({ address: SAFE_SINGLETON_FACTORY, bytecode: factoryCode })

  const names = Object.keys(SAFE_141).filter((n) => n !== 'testToken') as Array<keyof SafeContracts>
  const out = {} as SafeContracts
  let last: Hex | undefined
  for (const name of names) {
    const bytecode = SAFE_141[name]().bytecode
    out[name] = getContractAddress({
      opcode: 'CREATE2',
      from: SAFE_SINGLETON_FACTORY,
      salt: ZERO_SALT,
      bytecode,
    })
    // Sent back to back: with automine each transaction is mined as it arrives.
    last = await c.wallet.sendTransaction({
      account: c.deployer,
      chain: null,
      to: SAFE_SINGLETON_FACTORY,
      data: concat([ZERO_SALT, bytecode]),
      gas: 10_000_000n,
    })
  }
  if (last) await c.public.waitForTransactionReceipt({ hash: last, pollingInterval: 10 })
  for (const [name, address] of Object.entries(out)) {
    const code = await c.public.getCode({ address })
    if (!code || code === '0x') throw new Error(`lab: deploying ${name} failed (no code at ${address})`)
  }
  return out
}

/** Deploys the Safe test ERC20 ("TestToken", TT, 18 decimals); the deployer holds the supply. */
export async function deployTestToken(c: Clients): Promise<Address> {
  const artifact = SAFE_141.testToken()
  const hash = await c.wallet.deployContract({
    account: c.deployer,
    chain: null,
    abi: artifact.abi,
    bytecode: artifact.bytecode,
  })
  const receipt = await c.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  if (!receipt.contractAddress) throw new Error('lab: test token deployment failed')
  return getAddress(receipt.contractAddress)
}
