import { createPublicClient, getAddress, http, type PublicClient, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../../src/lab/index.js'
import { deployProtocol, LAB_PRICE, type LabProtocol } from '../../src/lab/protocol/index.js'
import type { ReadCall } from '../../src/model/check.js'
import { FatalError, RetryableError } from '../../src/model/errors.js'
import { createBatchReader } from '../../src/sources/multicall.js'

// Batched reads on the lab: many calls in one request, the block's timestamp with them, what does
// not change read once, a call refused inside Multicall3 (an L2 uptime feed that lets only EOAs
// read it) made alone, and from then on alone.

const FEED = parseAbi([
  'function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)',
  'function decimals() view returns (uint8)',
  'function aggregator() view returns (address)',
])
const call = (
  key: string,
  to: `0x${string}`,
  functionName: 'latestRoundData' | 'decimals' | 'aggregator',
  stable = false,
): ReadCall => ({
  key,
  to,
  abi: FEED,
  functionName,
  ...(stable ? { stable } : {}),
})

let lab: Lab
let p: LabProtocol
let client: PublicClient
let requests = 0
beforeAll(async () => {
  lab = await startLab()
  p = await deployProtocol(lab)
  client = createPublicClient({
    transport: http(lab.rpcUrl, { onFetchRequest: () => void requests++ }),
  }) as PublicClient
}, 120_000)
afterAll(() => lab?.stop())

const counted = async <T>(fn: () => Promise<T>) => {
  const before = requests
  const value = await fn()
  return { value, requests: requests - before }
}

describe('batched reads through Multicall3', () => {
  it('reads many calls and the block timestamp in one request, and chunks past 500 calls', async () => {
    const reader = createBatchReader(client)
    const block = await client.getBlockNumber()
    const calls = Array.from({ length: 300 }, (_, i) => call(`f${i}`, p.feed, 'latestRoundData'))
    const { value, requests: n } = await counted(() => reader.read(calls, block))
    expect(n).toBe(1)
    expect(value.requests).toBe(1)
    expect((value.results.get('f299') as { ok: true; value: readonly bigint[] }).value[1]).toBe(LAB_PRICE)
    const { timestamp } = await client.getBlock({ blockNumber: block })
    expect(value.timestamp).toBe(timestamp)
    const many = Array.from({ length: 1200 }, (_, i) => call(`f${i}`, p.feed, 'decimals'))
    expect((await counted(() => reader.read(many, block))).requests).toBe(3)
  })

  it('reads what does not change once', async () => {
    const reader = createBatchReader(client)
    const block = await client.getBlockNumber()
    const calls = [call('d', p.feed, 'decimals', true), call('r', p.feed, 'latestRoundData')]
    await reader.read(calls, block)
    const again = await reader.read([call('d', p.feed, 'decimals', true)], block, { timestamp: false })
    expect(again.requests).toBe(0)
    expect(again.results.get('d')).toEqual({ ok: true, value: 8 })
  })

  it('makes a call refused inside the batch alone, and from then on alone; one that fails both ways is not retried every round', async () => {
    const reader = createBatchReader(client)
    const block = await client.getBlockNumber()
    const calls = [
      call('feed', p.feed, 'latestRoundData'),
      call('sequencer', p.sequencer, 'latestRoundData'),
      call('missing', p.secondFeed, 'aggregator'),
    ]
    const first = await counted(() => reader.read(calls, block))
    expect(first.requests).toBe(3) // the batch, then the two failures alone
    expect(first.value.results.get('sequencer')?.ok).toBe(true)
    expect(first.value.results.get('missing')?.ok).toBe(false)
    const next = await counted(() => reader.read(calls, block))
    expect(next.requests).toBe(2) // the batch, and the uptime feed alone
    expect(next.value.results.get('sequencer')?.ok).toBe(true)
    expect(next.value.results.get('missing')).toMatchObject({ ok: false })
  })

  it('fails the round, retryably, when the node is down, and fatally without Multicall3', async () => {
    const block = await client.getBlockNumber()
    const down = createPublicClient({
      transport: http('http://127.0.0.1:9', { retryCount: 0 }),
    }) as PublicClient
    await expect(createBatchReader(down).read([call('f', p.feed, 'decimals')], block)).rejects.toBeInstanceOf(
      RetryableError,
    )
    const nowhere = createBatchReader(client, {
      multicall: getAddress('0x000000000000000000000000000000000000dead'),
    })
    await expect(nowhere.read([call('f', p.feed, 'decimals')], block)).rejects.toBeInstanceOf(FatalError)
  })
})
