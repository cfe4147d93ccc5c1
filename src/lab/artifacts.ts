import { createRequire } from 'node:module'
import type { Abi, Hex } from 'viem'

const require = createRequire(import.meta.url)

export type Artifact = { contractName: string; abi: Abi; bytecode: Hex; deployedBytecode: Hex }

const load = (path: string): Artifact =>
  require(`@safe-global/safe-contracts/build/artifacts/contracts/${path}`)

/** The Safe 1.4.1 contracts the lab deploys, from the official npm artifacts. */
export const SAFE_141 = {
  safe: () => load('Safe.sol/Safe.json'),
  safeL2: () => load('SafeL2.sol/SafeL2.json'),
  proxyFactory: () => load('proxies/SafeProxyFactory.sol/SafeProxyFactory.json'),
  multiSend: () => load('libraries/MultiSend.sol/MultiSend.json'),
  multiSendCallOnly: () => load('libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json'),
  fallbackHandler: () => load('handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json'),
  signMessageLib: () => load('libraries/SignMessageLib.sol/SignMessageLib.json'),
  createCall: () => load('libraries/CreateCall.sol/CreateCall.json'),
  simulateTxAccessor: () => load('accessors/SimulateTxAccessor.sol/SimulateTxAccessor.json'),
  testToken: () => load('test/ERC20Token.sol/ERC20Token.json'),
} as const
