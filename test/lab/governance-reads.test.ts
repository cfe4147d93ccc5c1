import { type Address, getAddress, type PublicClient, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployGovernance, type GovernanceStack } from '../../src/lab/governance/index.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { deployTokens, freshAddresses, fundTokens } from '../../src/lab/state-heavy.js'
import {
  readCodePins,
  readGovernanceParams,
  readPastRecipients,
  readTreasury,
} from '../../src/sources/governance-chain.js'
import { MULTICALL3 } from '../../src/sources/multicall.js'
import { createRpcClient } from '../../src/sources/rpc.js'
import { type RpcProxy, startRpcProxy } from '../helpers/rpc-proxy.js'

// The chain reads around a governance proposal, batched: the same values as read one by one,
// with Multicall3 (one eth_call) or without it, and the caches that spare later proposals
// the deployment search and the transfer history.

let lab: Lab
let gov: GovernanceStack
let node: RpcProxy
let client: PublicClient
const counted = (method: string) => node.methods.get(method) ?? 0

beforeAll(async () => {
  lab = await startLab()
  gov = await deployGovernance(lab)
  node = await startRpcProxy(lab.rpcUrl)
  client = createRpcClient([node.url])
})
afterAll(async () => {
  await node?.close()
  await lab?.stop()
})

const ozParams = () => ({
  votingDelay: 1n,
  votingPeriod: 10n,
  proposalThreshold: 0n,
  quorumNumerator: 4n,
  quorumDenominator: 100n,
  proposalGuardian: getAddress(gov.guardian),
  timelock: getAddress(gov.timelock),
  timelockMinDelay: 3600n,
})

describe('governance parameters', () => {
  it('are read in one eth_call through Multicall3', async () => {
    node.methods.clear()
    const params = await readGovernanceParams(client, {
      governor: gov.governor,
      timelock: gov.timelock,
      flavor: 'oz',
    })
    expect(params).toEqual(ozParams())
    expect(counted('eth_call')).toBe(1)
  })

  it('are read one by one, with the same values, on a chain without Multicall3', async () => {
    const code = await lab.public.getCode({ address: MULTICALL3 })
    await lab.test.setCode({ address: MULTICALL3, bytecode: '0x' })
    try {
      node.methods.clear()
      const fresh = createRpcClient([node.url])
      expect(
        await readGovernanceParams(fresh, { governor: gov.governor, timelock: gov.timelock, flavor: 'oz' }),
      ).toEqual(ozParams())
      expect(counted('eth_call')).toBe(10)
      // Without the timelock known up front, it is read from the governor, then its delay.
      expect(await readGovernanceParams(fresh, { governor: gov.governor, flavor: 'oz' })).toEqual(ozParams())
    } finally {
      await lab.test.setCode({ address: MULTICALL3, bytecode: code ?? '0x' })
    }
  })

  it('of a Bravo governor: the guardian and the timelock delay under their Bravo names', async () => {
    expect(await readGovernanceParams(client, { governor: gov.bravo, flavor: 'bravo' })).toMatchObject({
      votingDelay: 1n,
      votingPeriod: 10n,
      proposalGuardian: getAddress(gov.guardian),
      timelock: getAddress(gov.bravoTimelock),
      timelockMinDelay: 3600n,
    })
  })
})

describe('code pins', () => {
  it('find the block a target was deployed in, once per address and code', async () => {
    await lab.test.mine({ blocks: 150 })
    const [token] = await deployTokens(lab, 1)
    const deployed = await lab.public.getBlockNumber({ cacheTime: 0 })
    await lab.test.mine({ blocks: 40 })
    const created = await lab.public.getBlockNumber({ cacheTime: 0 })
    node.methods.clear()
    const problems: string[] = []
    const pins = await readCodePins(
      client,
      [
        { address: token as Address, target: true },
        { address: gov.timelock, target: false },
      ],
      created,
      problems,
    )
    expect(problems).toEqual([])
    expect(pins.map((p) => [p.address, p.deployedBlock, p.atCreation === p.now])).toEqual([
      [token, deployed, true],
      [gov.timelock, undefined, true],
    ])
    // The search reads several blocks per round: far fewer rounds than one per halving.
    expect(counted('eth_getCode')).toBeGreaterThan(4)
    node.methods.clear()
    const again = await readCodePins(client, [{ address: token as Address, target: true }], created, [])
    expect(again[0]?.deployedBlock).toBe(deployed)
    expect(counted('eth_getCode')).toBe(2)
  })
})

describe("the executor's transfer history", () => {
  const sender = () => (lab.accounts[0] as LabAccount).address

  it('is read once, then only from where it stopped, with what a fresh read finds', async () => {
    const [token] = await deployTokens(lab, 1)
    const [first, second] = freshAddresses('history', 2) as [Address, Address]
    await fundTokens(lab, [token as Address], first, 10n)
    const from = 0n
    let head = await lab.public.getBlockNumber({ cacheTime: 0 })
    expect(await readPastRecipients(client, sender(), from, head, 50)).toContain(first)

    await lab.test.mine({ blocks: 100 })
    await fundTokens(lab, [token as Address], second, 10n)
    head = await lab.public.getBlockNumber({ cacheTime: 0 })
    node.calls.length = 0
    const cached = await readPastRecipients(client, sender(), from, head, 50)
    const reread = await readPastRecipients(createRpcClient([lab.rpcUrl]), sender(), from, head, 50)
    expect(new Set(cached)).toEqual(new Set(reread))
    expect(cached).toEqual(expect.arrayContaining([first, second]))
    // Only the newest blocks were read again (the last 64 at most, then the new ones).
    const ranges = node.calls
      .filter((c) => c.method === 'eth_getLogs')
      .map((c) => BigInt(((c.params ?? [])[0] as { fromBlock: string }).fromBlock))
    expect(ranges.length).toBeGreaterThan(0)
    expect(ranges.every((b) => b > head - 200n)).toBe(true)
  })

  it('leaves out transfers older than the window', async () => {
    const head = await lab.public.getBlockNumber({ cacheTime: 0 })
    const [old] = freshAddresses('history', 1)
    expect(await readPastRecipients(client, sender(), head - 10n, head, 50)).not.toContain(old)
  })
})

describe('the treasury', () => {
  it("holds its ETH and each token's balance, read in one batch", async () => {
    node.methods.clear()
    const treasury = await readTreasury(client, gov.timelock, ['native', gov.token, gov.token, lab.token])
    expect(treasury).toEqual([
      { token: 'native', balance: parseEther('100') },
      { token: gov.token, balance: parseEther('300000') },
      { token: lab.token, balance: 0n },
    ])
    expect(counted('eth_call')).toBe(1)
  })
})
