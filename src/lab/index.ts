import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEther,
  type TestClient,
  toHex,
  type WalletClient,
} from 'viem'
import { type HDAccount, mnemonicToAccount } from 'viem/accounts'
import { type Anvil, startAnvil } from '../simulate/anvil.js'
import { deploySafeContracts, deployTestToken, type SafeContracts } from './deploy.js'
import { ensureMulticall3 } from './multicall3.js'
import { type ProtocolKit, Safe } from './protocol-kit.js'

// anvil's well-known development mnemonic: its accounts are funded with 10,000 ETH each.
const MNEMONIC = 'test test test test test test test test test test test junk'

export type LabAccount = { address: Address; privateKey: Hex }

export type Lab = {
  rpcUrl: string
  chainId: number
  anvil: Anvil
  contracts: SafeContracts
  /** Safe's test ERC20 (TestToken, TT, 18 decimals); account 0 holds its supply. */
  token: Address
  /** anvil's funded accounts; account 0 deploys. */
  accounts: LabAccount[]
  public: PublicClient
  test: TestClient
  wallet: WalletClient
  /** protocol-kit's contractNetworks for this chain. */
  contractNetworks: Record<string, Record<string, string>>
  /** Deploys a Safe 1.4.1 proxy through protocol-kit and funds it with `fund` wei. */
  createSafe(opts: {
    owners: Address[]
    threshold: number
    saltNonce?: bigint
    fund?: bigint
  }): Promise<Address>
  /** protocol-kit connected to `safe`, signing with `signer`. */
  kit(safe: Address, signer: LabAccount): Promise<ProtocolKit>
  stop(): Promise<void>
}

let saltCounter = 0n

/**
 * Starts anvil with the Safe 1.4.1 contracts and Multicall3 at their canonical addresses, and a
 * test token.
 * `hardfork` (anvil's name, e.g. `shanghai`) defaults to anvil's latest; Shanghai is the last fork where
 * SELFDESTRUCT removes code, which the metamorphic-contract scenario needs.
 * `stepsTracing` makes debug_traceTransaction return opcode steps (the guard's gas bench counts them).
 */
export async function startLab(
  opts: { chainId?: number; hardfork?: string; stepsTracing?: boolean } = {},
): Promise<Lab> {
  const chainId = opts.chainId ?? 31337
  const anvil = await startAnvil({
    chainId,
    ...(opts.hardfork === undefined ? {} : { hardfork: opts.hardfork }),
    ...(opts.stepsTracing ? { extraArgs: ['--steps-tracing'] } : {}),
  })
  try {
    const transport = http(anvil.rpcUrl)
    const accounts = Array.from({ length: 10 }, (_, i) =>
      toLabAccount(mnemonicToAccount(MNEMONIC, { addressIndex: i })),
    )
    const deployer = accounts[0] as LabAccount
    const pub = createPublicClient({ transport, pollingInterval: 10 }) as PublicClient
    const test = createTestClient({ mode: 'anvil', transport })
    const wallet = createWalletClient({ transport })
    const clients = { test, wallet, public: pub, deployer: deployer.address }
    const contracts = await deploySafeContracts(clients)
    const token = await deployTestToken(clients)
    await ensureMulticall3(clients)
    const contractNetworks = {
      [String(chainId)]: {
        safeSingletonAddress: contracts.safe,
        safeProxyFactoryAddress: contracts.proxyFactory,
        multiSendAddress: contracts.multiSend,
        multiSendCallOnlyAddress: contracts.multiSendCallOnly,
        fallbackHandlerAddress: contracts.fallbackHandler,
        signMessageLibAddress: contracts.signMessageLib,
        createCallAddress: contracts.createCall,
        simulateTxAccessorAddress: contracts.simulateTxAccessor,
        // protocol-kit memoizes its contract objects (bound to their RPC client) by a key that
        // leaves the RPC URL out: two labs in one process would share the first one's. This
        // unused field puts the URL in the key.
        labRpcUrl: anvil.rpcUrl,
      },
    }
    const kit = (safe: Address, signer: LabAccount) =>
      Safe.init({
        provider: anvil.rpcUrl,
        signer: signer.privateKey,
        safeAddress: safe,
        contractNetworks,
        isL1SafeSingleton: true,
      })

    const createSafe: Lab['createSafe'] = async ({ owners, threshold, saltNonce, fund }) => {
      const predicted = await Safe.init({
        provider: anvil.rpcUrl,
        signer: deployer.privateKey,
        predictedSafe: {
          safeAccountConfig: { owners, threshold },
          safeDeploymentConfig: { saltNonce: (saltNonce ?? ++saltCounter).toString(), safeVersion: '1.4.1' },
        },
        contractNetworks,
        isL1SafeSingleton: true,
      })
      const deployment = await predicted.createSafeDeploymentTransaction()
      const hash = await wallet.sendTransaction({
        account: deployer.address,
        chain: null,
        to: deployment.to as Address,
        data: deployment.data as Hex,
        value: BigInt(deployment.value),
      })
      const receipt = await pub.waitForTransactionReceipt({ hash })
      if (receipt.status !== 'success') throw new Error('lab: Safe deployment reverted')
      const address = (await predicted.getAddress()) as Address
      if (fund) await test.setBalance({ address, value: fund })
      return address
    }

    return {
      rpcUrl: anvil.rpcUrl,
      chainId,
      anvil,
      contracts,
      token,
      accounts,
      public: pub,
      test,
      wallet,
      contractNetworks,
      createSafe,
      kit,
      stop: () => anvil.stop(),
    }
  } catch (error) {
    await anvil.stop()
    throw error
  }
}

function toLabAccount(account: HDAccount): LabAccount {
  const key = account.getHdKey().privateKey
  if (!key) throw new Error('lab: account without private key')
  return { address: account.address, privateKey: toHex(key) }
}

export const ONE_ETH = parseEther('1')
