import { multicall3Abi, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../../src/lab/index.js'
import { MULTICALL3 } from '../../src/lab/multicall3.js'
import {
  deployProtocol,
  LAB_PRICE,
  type LabProtocol,
  loadProtocolArtifacts,
  PAUSE_GUARDIAN_ROLE,
  protocolCacheKey,
  readCachedProtocolArtifacts,
} from '../../src/lab/protocol/index.js'

const feedAbi = parseAbi([
  'function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)',
  'function aggregator() view returns (address)',
  'function minAnswer() view returns (int192)',
])
const poolAbi = parseAbi([
  'function paused() view returns (bool)',
  'function pause()',
  'function getReserves() view returns (int256)',
  'function targetReserves() view returns (uint256)',
  'function hasRole(bytes32, address) view returns (bool)',
])

let lab: Lab
let p: LabProtocol
beforeAll(async () => {
  lab = await startLab()
  p = await deployProtocol(lab)
}, 120_000)
afterAll(() => lab?.stop())

describe('the lab protocol', () => {
  it('loads from the committed cache, whose key matches the current sources', async () => {
    // A stale artifacts.json fails here: recompile with loadProtocolArtifacts() and commit it.
    expect(readCachedProtocolArtifacts()?.key).toBe(protocolCacheKey())
    const artifacts = await loadProtocolArtifacts({ compile: false })
    expect(Object.keys(artifacts.contracts).sort()).toEqual(
      [
        'LabAggregator',
        'LabFeedProxy',
        'LabL2Messenger',
        'LabLendingPool',
        'OptimismSequencerUptimeFeed',
      ].sort(),
    )
  })

  it('has Multicall3 at its canonical address, a priced feed behind a proxy, and a pool with reserves', async () => {
    const ts = await lab.public.readContract({
      address: MULTICALL3,
      abi: multicall3Abi,
      functionName: 'getCurrentBlockTimestamp',
    })
    expect(ts).toBeGreaterThan(0n)
    const [, answer] = await lab.public.readContract({
      address: p.feed,
      abi: feedAbi,
      functionName: 'latestRoundData',
    })
    expect(answer).toBe(LAB_PRICE)
    expect(await lab.public.readContract({ address: p.feed, abi: feedAbi, functionName: 'aggregator' })).toBe(
      p.aggregator,
    )
    const reserves = await lab.public.readContract({
      address: p.pool,
      abi: poolAbi,
      functionName: 'getReserves',
    })
    const target = await lab.public.readContract({
      address: p.pool,
      abi: poolAbi,
      functionName: 'targetReserves',
    })
    expect(reserves).toBe(2n * target)
    expect(
      await lab.public.readContract({
        address: p.pool,
        abi: poolAbi,
        functionName: 'hasRole',
        args: [PAUSE_GUARDIAN_ROLE, p.guardian.address],
      }),
    ).toBe(true)
  })

  it('reports the sequencer down and up, and refuses reads from contracts not on its access list', async () => {
    await p.setSequencerDown(true)
    const [, down] = await lab.public.readContract({
      address: p.sequencer,
      abi: feedAbi,
      functionName: 'latestRoundData',
    })
    expect(down).toBe(1n)
    await p.setSequencerDown(false)
    const [, up] = await lab.public.readContract({
      address: p.sequencer,
      abi: feedAbi,
      functionName: 'latestRoundData',
    })
    expect(up).toBe(0n)
    const batched = await lab.public.multicall({
      multicallAddress: MULTICALL3,
      contracts: [{ address: p.sequencer, abi: feedAbi, functionName: 'latestRoundData' }],
    })
    expect(batched[0]?.status).toBe('failure')
  })
})
