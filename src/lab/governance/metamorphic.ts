import { type Address, type Hash, type Hex, keccak256, zeroAddress } from 'viem'
import type { Lab, LabAccount } from '../index.js'
import { metamorphicFactoryAbi } from './abis.js'
import { deploy, mined } from './chain.js'
import { loadGovernanceArtifacts } from './compile.js'

export type Metamorphic = {
  factory: Address
  /** The CREATE2 deployer; its CREATE at nonce 1 is `proposalAddress`. */
  deployer: Address
  /** The same for every deployment through one factory, whatever the code. */
  proposalAddress: Address
  /** keccak256 of the code now at `proposalAddress`. */
  codeHash: Hash
  txHash: Hash
}

/**
 * Deploys a proposal contract at the factory's metamorphic address: 'benign' (execute() forwards the ETH
 * it gets to `recipient`) or 'malicious' (execute() sends it to `attacker` and pulls every `token` the
 * caller approved). Without `factory` a new one is deployed, owned by `owner` (default lab account 5);
 * with one, its owner sends. Redeploying after destroyMetamorphic gives the same address, other code.
 */
export async function deployMetamorphic(
  lab: Lab,
  kind: 'benign' | 'malicious',
  opts: { factory?: Address; owner?: Address; recipient?: Address; token?: Address; attacker?: Address } = {},
): Promise<Metamorphic> {
  const accounts = lab.accounts as LabAccount[]
  const factory =
    opts.factory ??
    (await deploy(
      lab,
      opts.owner ?? (accounts[5] as LabAccount).address,
      (
        await loadGovernanceArtifacts()
      ).contracts.MetamorphicFactory,
      [],
    ))
  const owner = await read(lab, factory, 'owner')
  const r = await mined(
    lab,
    kind === 'benign'
      ? lab.wallet.writeContract({
          account: owner,
          chain: null,
          address: factory,
          abi: metamorphicFactoryAbi,
          functionName: 'deployBenign',
          args: [opts.recipient ?? (accounts[9] as LabAccount).address],
        })
      : lab.wallet.writeContract({
          account: owner,
          chain: null,
          address: factory,
          abi: metamorphicFactoryAbi,
          functionName: 'deployMalicious',
          args: [opts.token ?? zeroAddress, opts.attacker ?? owner],
        }),
    `metamorphic ${kind} deployment`,
  )
  const proposalAddress = await read(lab, factory, 'proposal')
  const code = await lab.public.getCode({ address: proposalAddress })
  if (!code) throw new Error(`lab: no code at the metamorphic address ${proposalAddress}`)
  return {
    factory,
    deployer: await read(lab, factory, 'deployerAddress'),
    proposalAddress,
    codeHash: keccak256(code),
    txHash: r.transactionHash,
  }
}

/**
 * Self-destructs the proposal contract and its deployer in one transaction. Throws when code survives:
 * from Cancun on (EIP-6780) SELFDESTRUCT keeps it, so the lab must run with `hardfork: 'shanghai'`.
 */
export async function destroyMetamorphic(lab: Lab, factory: Address): Promise<{ txHash: Hash }> {
  const [owner, proposal, deployer] = await Promise.all([
    read(lab, factory, 'owner'),
    read(lab, factory, 'proposal'),
    read(lab, factory, 'deployerAddress'),
  ])
  const r = await mined(
    lab,
    lab.wallet.writeContract({
      account: owner,
      chain: null,
      address: factory,
      abi: metamorphicFactoryAbi,
      functionName: 'destroy',
    }),
    'metamorphic destroy',
  )
  const left: Array<Hex | undefined> = await Promise.all(
    [proposal, deployer].map((address) => lab.public.getCode({ address })),
  )
  if (left.some((code) => code !== undefined && code !== '0x'))
    throw new Error(
      "lab: SELFDESTRUCT left the code in place (EIP-6780); start the lab with hardfork 'shanghai'",
    )
  return { txHash: r.transactionHash }
}

const read = (lab: Lab, factory: Address, functionName: 'owner' | 'proposal' | 'deployerAddress') =>
  lab.public.readContract({ address: factory, abi: metamorphicFactoryAbi, functionName })
