import { type Address, getAddress } from 'viem'
import type { Lab } from '../index.js'
import { createSolcCache, type SolcArtifacts } from '../solc-cache.js'

// The lab's ERC721 and ERC1155 tokens, compiled from ./LabTokens.sol (cached in artifacts.json).
// OZ 5.7's ERC721 and ERC1155 use MCOPY: they compile for Cancun.

export type LabTokenName = 'LabNFT' | 'LabMultiToken'

export const labTokens = createSolcCache<LabTokenName>({
  dir: 'src/lab/tokens',
  units: [{ file: 'LabTokens.sol', contracts: ['LabNFT', 'LabMultiToken'] }],
  evmVersion: 'cancun',
})

export const loadLabTokenArtifacts = (opts?: { compile?: boolean }): Promise<SolcArtifacts<LabTokenName>> =>
  labTokens.load(opts)

/** Deploys one of the lab's tokens from account 0; anyone may mint it afterwards. */
export async function deployLabToken(lab: Lab, name: LabTokenName): Promise<Address> {
  const { contracts } = await labTokens.load({ compile: false })
  const artifact = contracts[name]
  const hash = await lab.wallet.deployContract({
    account: lab.accounts[0]?.address as Address,
    chain: null,
    abi: artifact.abi,
    bytecode: artifact.bytecode,
  })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  if (receipt.status !== 'success' || !receipt.contractAddress)
    throw new Error(`lab: ${name} deployment failed (${hash})`)
  return getAddress(receipt.contractAddress)
}
