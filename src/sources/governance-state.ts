import {
  type Address,
  getAddress,
  type Hash,
  type Hex,
  keccak256,
  type PublicClient,
  parseAbi,
  toEventSelector,
} from 'viem'
import type { CodePin } from '../model/governance.js'
import { readMany } from './multicall.js'

// What a governance proposal touches on the chain, read side by side and kept where it cannot
// change: the code of its targets (and when it was deployed), what the executor holds, whom the
// executor has paid before.

const erc20Abi = parseAbi(['function balanceOf(address) view returns (uint256)'])
const TRANSFER = toEventSelector('event Transfer(address indexed from, address indexed to, uint256 value)')

const codeHash = (code: Hex | undefined): Hash | null => (code && code !== '0x' ? keccak256(code) : null)

/**
 * The code of each address at the proposal's creation block and now, and for targets the block
 * their current code was deployed in (a search over history: needs an archive node). The
 * addresses are read side by side.
 */
export async function readCodePins(
  client: PublicClient,
  addresses: Array<{ address: Address; target: boolean }>,
  createdBlock: bigint,
  problems: string[],
): Promise<CodePin[]> {
  const read = async ({ address, target }: { address: Address; target: boolean }) => {
    const [now, atCreation] = await Promise.all([
      client.getCode({ address }),
      client.getCode({ address, blockNumber: createdBlock }).then(
        (code) => ({ code }),
        (error: Error) => ({ error }),
      ),
    ])
    const unpinned = 'error' in atCreation
    const pin: CodePin = {
      address,
      atCreation: codeHash(unpinned ? now : atCreation.code),
      now: codeHash(now),
      target,
    }
    if (unpinned) pin.unpinned = true
    if (now && now !== '0x') pin.code = now
    if (target && now && now !== '0x') {
      // Without an archive node the search fails: the pin then has no deployment block.
      const deployed = await deployedAt(client, address, keccak256(now)).catch(() => undefined)
      if (deployed !== undefined) pin.deployedBlock = deployed
    }
    const problem = unpinned
      ? `could not read the code of ${address} at block ${createdBlock} (an archive node is needed): ${atCreation.error.message.split('\n')[0]}`
      : undefined
    return { pin, problem }
  }
  const out = await Promise.all(addresses.map(read))
  for (const { problem } of out) if (problem) problems.push(problem)
  return out.map((o) => o.pin)
}

// Where a code was deployed does not change while it stays: found once per address and code.
const deployedCache = new WeakMap<PublicClient, Map<string, bigint>>()
const PROBES = 7

/**
 * The first block from which `address` has had its current code: a search that reads several
 * blocks of each interval side by side (a few round trips, not one per halving).
 */
async function deployedAt(client: PublicClient, address: Address, hash: Hash): Promise<bigint> {
  const cache = deployedCache.get(client) ?? new Map<string, bigint>()
  deployedCache.set(client, cache)
  const key = `${address.toLowerCase()}:${hash}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  let lo = 0n
  let hi = await client.getBlockNumber()
  while (lo < hi) {
    const step = (hi - lo) / BigInt(PROBES + 1)
    const points =
      step === 0n
        ? Array.from({ length: Number(hi - lo) }, (_, i) => lo + BigInt(i))
        : Array.from({ length: PROBES }, (_, i) => lo + step * BigInt(i + 1))
    const has = await Promise.all(
      points.map(async (b) => codeHash(await client.getCode({ address, blockNumber: b })) === hash),
    )
    const first = has.indexOf(true)
    if (first === -1) lo = (points.at(-1) as bigint) + 1n
    else {
      hi = points[first] as bigint
      if (first > 0) lo = (points[first - 1] as bigint) + 1n
    }
  }
  if (cache.size >= 10_000) cache.clear()
  cache.set(key, lo)
  return lo
}

/** What the executor holds of each asset, before the proposal runs (one batch). */
export async function readTreasury(
  client: PublicClient,
  executor: Address,
  tokens: Array<Address | 'native'>,
): Promise<Array<{ token: Address | 'native'; balance: bigint }>> {
  const unique = [...new Set(tokens)]
  const erc20 = unique.filter((t): t is Address => t !== 'native')
  const [native, balances] = await Promise.all([
    // A balance that cannot be read is left out of the treasury.
    unique.includes('native') ? client.getBalance({ address: executor }).catch(() => undefined) : undefined,
    readMany(
      client,
      erc20.map((token) => ({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [executor] })),
    ),
  ])
  const out: Array<{ token: Address | 'native'; balance: bigint }> = []
  for (const token of unique) {
    const balance = token === 'native' ? native : (balances[erc20.indexOf(token)] as bigint | undefined)
    if (balance !== undefined) out.push({ token, balance })
  }
  return out
}

// The executor's transfer history, read once and then only from where the last read stopped;
// the newest blocks are read again each time, in case they were reorganised.
const REORG_BLOCKS = 64n
type History = { from: bigint; stable: bigint; transfers: Array<{ block: bigint; to: Address }> }
const histories = new WeakMap<PublicClient, Map<string, History>>()

/** Accounts the executor sent ERC20 tokens to in `from..to` (its Transfer history). */
export async function readPastRecipients(
  client: PublicClient,
  executor: Address,
  from: bigint,
  to: bigint,
  maxBlockRange: number,
): Promise<Address[]> {
  const byExecutor = histories.get(client) ?? new Map<string, History>()
  histories.set(client, byExecutor)
  const key = executor.toLowerCase()
  const known = byExecutor.get(key)
  const reuse = known && known.from <= from && known.stable < to
  const start = reuse ? known.stable + 1n : from
  const transfers = reuse ? known.transfers.filter((t) => t.block <= known.stable) : []
  const topic = `0x${executor.slice(2).toLowerCase().padStart(64, '0')}` as Hex
  const ranges: Array<[bigint, bigint]> = []
  for (let lo = start; lo <= to; lo += BigInt(maxBlockRange))
    ranges.push([lo, lo + BigInt(maxBlockRange) - 1n < to ? lo + BigInt(maxBlockRange) - 1n : to])
  // A few ranges at a time: side by side, without flooding the node.
  for (let i = 0; i < ranges.length; i += 4) {
    const logs = await Promise.all(
      ranges.slice(i, i + 4).map(
        ([lo, hi]) =>
          client.request({
            method: 'eth_getLogs',
            params: [
              {
                fromBlock: `0x${lo.toString(16)}`,
                toBlock: `0x${hi.toString(16)}`,
                topics: [TRANSFER, topic],
              },
            ],
          }) as Promise<Array<{ topics: Hex[]; blockNumber: Hex | null }>>,
      ),
    )
    for (const l of logs.flat()) {
      const recipient = l.topics[2]
      if (recipient && l.blockNumber)
        transfers.push({ block: BigInt(l.blockNumber), to: getAddress(`0x${recipient.slice(26)}`) })
    }
  }
  const stable = to > REORG_BLOCKS ? to - REORG_BLOCKS : 0n
  byExecutor.set(key, {
    from,
    stable: stable < start ? start - 1n : stable,
    transfers: transfers.filter((t) => t.block >= from),
  })
  return [...new Set(transfers.filter((t) => t.block >= from && t.block <= to).map((t) => t.to))]
}
