import * as deployments from '@safe-global/safe-deployments'
import { type Address, getAddress, type Hash } from 'viem'
import type { OfficialContract } from '../model/verification.js'

type Filter = { version?: string; network?: string; released?: boolean }
type DeploymentV2 = {
  contractName: string
  version: string
  deployments: Partial<Record<string, { address: string; codeHash: string }>>
  networkAddresses: Record<string, string | string[]>
}
type Getter = (filter?: Filter) => DeploymentV2 | undefined

// Every contract family Safe publishes; the names are the `contractName` of the deployment files.
const GETTERS: Getter[] = [
  deployments.getSafeSingletonDeployments,
  deployments.getSafeL2SingletonDeployments,
  deployments.getProxyFactoryDeployments,
  deployments.getMultiSendDeployments,
  deployments.getMultiSendCallOnlyDeployments,
  deployments.getCreateCallDeployments,
  deployments.getSignMessageLibDeployments,
  deployments.getSafeMigrationDeployments,
  deployments.getSafeToL2MigrationDeployments,
  deployments.getSafeToL2SetupDeployments,
  deployments.getCompatibilityFallbackHandlerDeployments,
  deployments.getTokenCallbackHandlerDeployments,
  deployments.getExtensibleFallbackHandlerDeployments,
  deployments.getSimulateTxAccessorDeployments,
] as unknown as Getter[]

const VERSIONS = ['1.0.0', '1.1.1', '1.2.0', '1.3.0', '1.4.1', '1.5.0']

type Known = OfficialContract & { codeHash: Hash }

let all:
  | { byChain: Map<string, Map<Address, OfficialContract>>; byAddress: Map<Address, Known[]> }
  | undefined

function load() {
  if (all) return all
  const byChain = new Map<string, Map<Address, OfficialContract>>()
  const byAddress = new Map<Address, Known[]>()
  for (const get of GETTERS) {
    for (const version of VERSIONS) {
      const d = get({ version, released: true })
      if (!d) continue
      const contract = { name: d.contractName, version: d.version }
      for (const entry of Object.values(d.deployments)) {
        if (!entry) continue
        const address = getAddress(entry.address)
        byAddress.set(address, [
          ...(byAddress.get(address) ?? []),
          { ...contract, codeHash: entry.codeHash as Hash },
        ])
      }
      for (const [network, value] of Object.entries(d.networkAddresses)) {
        const chain = byChain.get(network) ?? new Map<Address, OfficialContract>()
        for (const a of Array.isArray(value) ? value : [value]) chain.set(getAddress(a), contract)
        byChain.set(network, chain)
      }
    }
  }
  all = { byChain, byAddress }
  return all
}

/** Official Safe contracts listed for a chain by @safe-global/safe-deployments. */
export function officialContracts(chainId: number): Map<Address, OfficialContract> {
  return new Map(load().byChain.get(String(chainId)) ?? [])
}

/** Whether safe-deployments lists this chain at all. */
export const isKnownChain = (chainId: number): boolean => load().byChain.has(String(chainId))

/**
 * For chains safe-deployments does not list (local and new chains): the published deployments at
 * this address, so the caller can accept it only if the code on chain has the published hash.
 */
export const canonicalCandidates = (address: Address): Known[] => load().byAddress.get(address) ?? []
