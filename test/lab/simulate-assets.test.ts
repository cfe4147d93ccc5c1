import {
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  numberToHex,
  pad,
  parseAbi,
  parseEther,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { deployLabToken, labTokens, loadLabTokenArtifacts } from '../../src/lab/tokens/index.js'
import type { Report } from '../../src/model/report.js'
import type { Simulation } from '../../src/model/simulation.js'
import { createConfiguredSimulator, inspectSafeTransaction } from '../../src/pipeline.js'
import type { Simulator } from '../../src/simulate/index.js'
import { createRpcClient } from '../../src/sources/rpc.js'
import { codesOf, runtime, safeTx } from '../helpers/build.js'

// Assets a Safe transaction moves, as the simulation on the lab shows them, and how the guards
// judge them: by the share of what the Safe held before, gas refunds included.

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const erc20 = parseAbi([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function approve(address spender, uint256 amount) returns (bool)',
])

let lab: Lab
let owners: LabAccount[]
let simulator: Simulator
const rt = runtime({ addressBook: [] })

beforeAll(async () => {
  lab = await startLab()
  owners = lab.accounts.slice(1, 4)
  simulator = createConfiguredSimulator(rt)
})
afterAll(async () => {
  await simulator?.close()
  await lab?.stop()
})

/**
 * A 2-of-3 Safe holding 1 ETH and 100 TT (the lab's ERC20). TT mints only 0.001 TT in all, so the
 * Safe's balance is written straight into the token's `_balances` mapping (slot 0, OpenZeppelin 3).
 */
async function fundedSafe(): Promise<Address> {
  const safe = await lab.createSafe({
    owners: owners.map((o) => o.address),
    threshold: 2,
    fund: parseEther('1'),
  })
  await lab.test.setStorageAt({
    address: lab.token,
    index: keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [safe, 0n])),
    value: pad(numberToHex(parseEther('100'))),
  })
  // A block on top, so that a fork of the lab (taken at a block) sees the balance.
  await lab.test.mine({ blocks: 1 })
  return safe
}
const inspect = (safe: Address, fields: Parameters<typeof safeTx>[0]): Promise<Report> =>
  inspectSafeTransaction(rt, {
    source: { tx: safeTx({ safe, ...fields }), confirmations: [] },
    client: createRpcClient([lab.rpcUrl]),
    simulate: { simulator, upstreams: [lab.rpcUrl] },
  })
const simOf = (r: Report): Simulation => {
  if (!r.simulation?.ok) throw new Error(`no simulation: ${JSON.stringify(r.simulation)}`)
  return r.simulation.simulation
}
const call = (functionName: string, args: unknown[]): Hex =>
  encodeFunctionData({ abi: erc20, functionName, args } as never)

describe('outflows by their share of what the Safe held', () => {
  it('a gas refund in a token that moves 52 % of the balance to an attacker is critical', async () => {
    const safe = await fundedSafe()
    // Paid (gasUsed + baseGas) × gasPrice in TT: 52,000,000 × 10^12 = 52 TT, plus the gas used.
    const r = await inspect(safe, {
      to: owners[0]?.address as Address,
      gasToken: lab.token,
      gasPrice: 10n ** 12n,
      baseGas: 52_000_000n,
      refundReceiver: ATTACKER,
    })
    const sim = simOf(r)
    expect(sim.success).toBe(true)
    const refund = sim.assetChanges.find((c) => c.token === lab.token && c.to === ATTACKER)
    expect(refund?.amount).toBeGreaterThan(parseEther('52'))
    expect(sim.balancesBefore).toContainEqual({ holder: safe, token: lab.token, balance: parseEther('100') })
    const share = r.findings.find((f) => f.code === 'outflow-share')
    expect(share).toMatchObject({ guard: 'asset-outflow', severity: 'critical' })
    expect(share?.message).toMatch(
      /including the gas refund to 0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516: 52(\.\d+)?% of the 100000000000000000000 units of token /,
    )
    expect(r.risk.level).toBe('critical')
  })

  it.each([
    ['3 TT: below 5 %', '3', []],
    ['7 TT: medium', '7', ['asset-outflow/outflow-share:medium']],
    ['20 TT: high', '20', ['asset-outflow/outflow-share:high']],
    ['60 TT: critical', '60', ['asset-outflow/outflow-share:critical']],
  ])('judges a token with no configured threshold by its share (%s)', async (_name, amount, expected) => {
    const safe = await fundedSafe()
    const r = await inspect(safe, { to: lab.token, data: call('transfer', [ATTACKER, parseEther(amount)]) })
    expect(simOf(r).success).toBe(true)
    expect(codesOf(r, 'asset-outflow').filter((c) => c.includes('outflow-share'))).toEqual(expected)
  })

  it('judges ETH by its share too', async () => {
    const safe = await fundedSafe()
    const r = await inspect(safe, { to: ATTACKER, value: parseEther('0.6') })
    expect(simOf(r).balancesBefore).toContainEqual({
      holder: safe,
      token: 'native',
      balance: parseEther('1'),
    })
    expect(codesOf(r, 'asset-outflow')).toContain('asset-outflow/outflow-share:critical')
  })
})

describe('the lab tokens', () => {
  it('load from the committed cache, whose key matches the current sources', async () => {
    // A stale artifacts.json fails here: recompile with loadLabTokenArtifacts() and commit it.
    expect(labTokens.cached()?.key).toBe(labTokens.key())
    const artifacts = await loadLabTokenArtifacts({ compile: false })
    expect(Object.keys(artifacts.contracts).sort()).toEqual(['LabMultiToken', 'LabNFT'])
  })
})

describe('ERC721 and ERC1155 movements and approvals, read from the simulation', () => {
  const nftAbi = parseAbi([
    'function mint(address to, uint256 id)',
    'function transferFrom(address from, address to, uint256 tokenId)',
    'function approve(address to, uint256 tokenId)',
    'function trustOperator(address operator)',
  ])
  const multiAbi = parseAbi([
    'function mint(address to, uint256 id, uint256 amount)',
    'function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes data)',
    'function safeBatchTransferFrom(address from, address to, uint256[] ids, uint256[] values, bytes data)',
    'function setApprovalForAll(address operator, bool approved)',
  ])
  let nft: Address
  let multi: Address
  let safe: Address

  beforeAll(async () => {
    nft = await deployLabToken(lab, 'LabNFT')
    multi = await deployLabToken(lab, 'LabMultiToken')
    safe = await fundedSafe()
    const minter = lab.accounts[0]?.address as Address
    const send = async (
      address: Address,
      abi: typeof nftAbi | typeof multiAbi,
      functionName: string,
      args: unknown[],
    ) => {
      const hash = await lab.wallet.writeContract({
        account: minter,
        chain: null,
        address,
        abi,
        functionName,
        args,
      } as never)
      const r = await lab.public.waitForTransactionReceipt({ hash })
      if (r.status !== 'success') throw new Error(`lab: ${functionName} reverted`)
    }
    await send(nft, nftAbi, 'mint', [safe, 7n])
    await send(nft, nftAbi, 'mint', [safe, 8n])
    // Minting to a Safe calls its fallback handler's onERC1155Received: that it accepts is part of the test.
    await send(multi, multiAbi, 'mint', [safe, 1n, 10n])
    await send(multi, multiAbi, 'mint', [safe, 2n, 10n])
  })
  const enc = (abi: typeof nftAbi | typeof multiAbi, functionName: string, args: unknown[]): Hex =>
    encodeFunctionData({ abi, functionName, args } as never)

  it('an ERC721 token leaving the Safe', async () => {
    const r = await inspect(safe, { to: nft, data: enc(nftAbi, 'transferFrom', [safe, ATTACKER, 7n]) })
    const sim = simOf(r)
    expect(sim.success).toBe(true)
    expect(sim.assetChanges).toEqual([
      { standard: 'erc721', token: nft, from: safe, to: ATTACKER, amount: 1n, tokenId: 7n, symbol: 'LNFT' },
    ])
    expect(codesOf(r, 'asset-outflow')).toEqual(['asset-outflow/new-recipient:medium'])
  })

  it('ERC1155 tokens leaving the Safe, one id and a batch', async () => {
    const single = await inspect(safe, {
      to: multi,
      data: enc(multiAbi, 'safeTransferFrom', [safe, ATTACKER, 1n, 4n, '0x']),
    })
    expect(simOf(single).assetChanges).toEqual([
      { standard: 'erc1155', token: multi, from: safe, to: ATTACKER, amount: 4n, tokenId: 1n },
    ])
    const batch = await inspect(safe, {
      to: multi,
      data: enc(multiAbi, 'safeBatchTransferFrom', [safe, ATTACKER, [1n, 2n], [3n, 5n], '0x']),
    })
    expect(simOf(batch).success).toBe(true)
    expect(simOf(batch).assetChanges).toEqual([
      { standard: 'erc1155', token: multi, from: safe, to: ATTACKER, amount: 3n, tokenId: 1n },
      { standard: 'erc1155', token: multi, from: safe, to: ATTACKER, amount: 5n, tokenId: 2n },
    ])
    expect(codesOf(batch, 'asset-outflow')).toEqual(['asset-outflow/new-recipient:medium'])
  })

  it('an ERC721 approval of one token, shown in the calldata and the simulation, judged once', async () => {
    const r = await inspect(safe, { to: nft, data: enc(nftAbi, 'approve', [ATTACKER, 8n]) })
    expect(simOf(r).approvals).toEqual([
      { standard: 'erc721', token: nft, owner: safe, spender: ATTACKER, tokenId: 8n },
    ])
    expect(codesOf(r, 'token-approval')).toEqual(['token-approval/approval:medium'])
  })

  it('an ERC1155 operator approval', async () => {
    const r = await inspect(safe, { to: multi, data: enc(multiAbi, 'setApprovalForAll', [ATTACKER, true]) })
    expect(simOf(r).approvals).toEqual([
      { standard: 'operator', token: multi, owner: safe, spender: ATTACKER, approved: true },
    ])
    expect(codesOf(r, 'token-approval')).toEqual(['token-approval/unlimited-approval:high'])
  })

  it("an operator approval granted by a token's own function, which only the simulation shows", async () => {
    const r = await inspect(safe, { to: nft, data: enc(nftAbi, 'trustOperator', [ATTACKER]) })
    const sim = simOf(r)
    expect(sim.success).toBe(true)
    expect(sim.approvals).toEqual([
      { standard: 'operator', token: nft, owner: safe, spender: ATTACKER, approved: true },
    ])
    // The calldata is an unknown function: only the event says an approval was granted.
    expect(codesOf(r, 'undecodable')).toEqual(['undecodable/undecodable:medium'])
    expect(codesOf(r, 'token-approval')).toEqual(['token-approval/unlimited-approval:high'])
    expect(r.findings.find((f) => f.guard === 'token-approval')?.message).toMatch(
      /seen in the simulation, not in the calldata/,
    )
  })
})
