import { createRequire } from 'node:module'
import {
  type Address,
  concat,
  encodeFunctionData,
  getAddress,
  getContractAddress,
  type Hex,
  keccak256,
  pad,
  parseAbi,
  slice,
  toHex,
  zeroAddress,
} from 'viem'
import type { Artifact } from './artifacts.js'
import { SAFE_SINGLETON_FACTORY } from './deploy.js'
import type { Lab } from './index.js'

const require = createRequire(import.meta.url)

// The lab deploys Safe 1.4.1 at its canonical addresses. Safe 1.3.0 and 1.5.0 come from their own npm
// artifacts, placed through the same singleton factory, so one lab chain holds Safes of every version the
// custos Guard supports.

export type LabSafeVersion = '1.3.0' | '1.4.1' | '1.5.0'

const ARTIFACTS: Record<
  Exclude<LabSafeVersion, '1.4.1'>,
  { singleton: string; factory: string; handler: string }
> = {
  '1.3.0': {
    singleton: '@gnosis.pm/safe-contracts/build/artifacts/contracts/GnosisSafe.sol/GnosisSafe.json',
    factory:
      '@gnosis.pm/safe-contracts/build/artifacts/contracts/proxies/GnosisSafeProxyFactory.sol/GnosisSafeProxyFactory.json',
    handler:
      '@gnosis.pm/safe-contracts/build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json',
  },
  '1.5.0': {
    singleton: '@safe-global/safe-smart-account/build/artifacts/contracts/Safe.sol/Safe.json',
    factory:
      '@safe-global/safe-smart-account/build/artifacts/contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json',
    handler:
      '@safe-global/safe-smart-account/build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json',
  },
}

export type SafeDeployment = {
  version: LabSafeVersion
  singleton: Address
  factory: Address
  fallbackHandler: Address
}

const setupAbi = parseAbi([
  'function setup(address[] _owners, uint256 _threshold, address to, bytes data, address fallbackHandler, address paymentToken, uint256 payment, address paymentReceiver)',
])
const factoryAbi = parseAbi([
  'function createProxyWithNonce(address _singleton, bytes initializer, uint256 saltNonce) returns (address proxy)',
])
// ProxyCreation(address proxy, address singleton): the proxy is indexed from 1.4.1 on, in the data before.
const PROXY_CREATION = keccak256(toHex('ProxyCreation(address,address)'))

const ZERO_SALT = pad('0x00', { size: 32 })

async function place(lab: Lab, bytecode: Hex): Promise<Address> {
  const address = getContractAddress({
    opcode: 'CREATE2',
    from: SAFE_SINGLETON_FACTORY,
    salt: ZERO_SALT,
    bytecode,
  })
  const existing = await lab.public.getCode({ address })
  if (existing && existing !== '0x') return address
  const hash = await lab.wallet.sendTransaction({
    account: lab.accounts[0]?.address as Address,
    chain: null,
    to: SAFE_SINGLETON_FACTORY,
    data: concat([ZERO_SALT, bytecode]),
    gas: 12_000_000n,
  })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  const code = await lab.public.getCode({ address })
  if (receipt.status !== 'success' || !code || code === '0x')
    throw new Error(`lab: placing code at ${address} failed`)
  return address
}

/** The singleton, proxy factory and fallback handler of `version` on the lab chain (deployed on first use). */
export async function deploySafeVersion(lab: Lab, version: LabSafeVersion): Promise<SafeDeployment> {
  if (version === '1.4.1') {
    return {
      version,
      singleton: lab.contracts.safe,
      factory: lab.contracts.proxyFactory,
      fallbackHandler: lab.contracts.fallbackHandler,
    }
  }
  const paths = ARTIFACTS[version]
  const load = (path: string) => require(path) as Artifact
  return {
    version,
    singleton: await place(lab, load(paths.singleton).bytecode),
    factory: await place(lab, load(paths.factory).bytecode),
    fallbackHandler: await place(lab, load(paths.handler).bytecode),
  }
}

let saltNonce = 1_000_000n

/** A Safe proxy of the deployment's version, set up with `owners` and `threshold`, funded with `fund` wei. */
export async function createSafeOf(
  lab: Lab,
  deployment: SafeDeployment,
  opts: { owners: Address[]; threshold: number; fund?: bigint },
): Promise<Address> {
  const initializer = encodeFunctionData({
    abi: setupAbi,
    functionName: 'setup',
    args: [
      opts.owners,
      BigInt(opts.threshold),
      zeroAddress,
      '0x',
      deployment.fallbackHandler,
      zeroAddress,
      0n,
      zeroAddress,
    ],
  })
  const hash = await lab.wallet.writeContract({
    account: lab.accounts[0]?.address as Address,
    chain: null,
    address: deployment.factory,
    abi: factoryAbi,
    functionName: 'createProxyWithNonce',
    args: [deployment.singleton, initializer, ++saltNonce],
  })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  if (receipt.status !== 'success') throw new Error(`lab: creating a Safe ${deployment.version} reverted`)
  const log = receipt.logs.find(
    (l) => l.address.toLowerCase() === deployment.factory.toLowerCase() && l.topics[0] === PROXY_CREATION,
  )
  const word = log?.topics[1] ?? (log ? slice(log.data, 0, 32) : undefined)
  const proxy = word ? getAddress(slice(word, 12, 32)) : undefined
  if (!proxy) throw new Error(`lab: no ProxyCreation event for the Safe ${deployment.version}`)
  if (opts.fund) await lab.test.setBalance({ address: proxy, value: opts.fund })
  return proxy
}
