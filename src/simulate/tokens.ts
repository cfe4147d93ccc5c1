import { type Address, encodeFunctionData, getAddress, type Hex, hexToString, parseAbi } from 'viem'
import { isRetryable } from '../model/errors.js'
import type { TokenInfo } from '../model/guard.js'
import type { AssetChange, BalanceBefore } from '../model/simulation.js'
import { type Endpoint, ifAnswered, readCall } from './endpoint.js'

const erc20 = parseAbi([
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function balanceOf(address owner) view returns (uint256)',
])
/** Distinct tokens whose balance is read for one simulation: more is a flood, not a treasury. */
const MAX_BALANCE_READS = 50
const bytes32Symbol = parseAbi(['function symbol() view returns (bytes32)'])

const cache = new Map<string, { symbol?: string; decimals?: number }>()
const MAX_CACHE = 10_000

/** symbol() and decimals() of a token, tolerating old bytes32 symbols and tokens without either. */
async function lookup(
  ep: Endpoint,
  chainId: number,
  token: Address,
  block: Hex,
): Promise<{ symbol?: string; decimals?: number }> {
  const key = `${chainId}:${token}`
  const hit = cache.get(key)
  if (hit) return hit
  const [symbol, decimals] = await Promise.all([
    readCall<string>(ep, token, erc20, 'symbol', [], block).catch((error: unknown) => {
      if (isRetryable(error)) throw error
      return (
        readCall<Hex>(ep, token, bytes32Symbol, 'symbol', [], block)
          .then((h) => hexToString(h, { size: 32 }).replace(/\0+$/, ''))
          // No symbol at all: the token is shown by its address.
          .catch(ifAnswered(undefined))
      )
    }),
    // No decimals(): amounts are shown in base units. A node that did not answer is not cached
    // as "no decimals": the error fails this simulation instead.
    readCall<number>(ep, token, erc20, 'decimals', [], block).catch(ifAnswered(undefined)),
  ])
  const info = {
    ...(symbol && /^[\x20-\x7e]{1,32}$/.test(symbol) ? { symbol } : {}),
    ...(decimals !== undefined ? { decimals: Number(decimals) } : {}),
  }
  if (cache.size >= MAX_CACHE) cache.clear()
  cache.set(key, info)
  return info
}

/** Adds symbol and decimals to ERC20 changes: from the config's tokens first, else from the chain. */
export async function withTokenInfo(
  changes: AssetChange[],
  known: TokenInfo[],
  ep: Endpoint,
  chainId: number,
  block: Hex,
): Promise<AssetChange[]> {
  return Promise.all(
    changes.map(async (c) => {
      if (c.standard === 'native') return { ...c, symbol: 'ETH', decimals: 18 }
      if (!c.token) return c
      const configured = known.find((t) => t.address === c.token)
      const info = configured
        ? { symbol: configured.symbol, decimals: configured.decimals }
        : await lookup(ep, chainId, c.token, block)
      if (c.standard !== 'erc20') return info.symbol ? { ...c, symbol: info.symbol } : c
      return { ...c, ...info }
    }),
  )
}

/**
 * The symbol() and decimals() calls withTokenInfo would make for these addresses (the ones not
 * configured and not looked up yet): a simulation announces them to the fork with its own call,
 * so that a token it has not seen costs no round trips of its own.
 */
export function tokenInfoCalls(
  chainId: number,
  addresses: Iterable<Address>,
  known: TokenInfo[],
): Array<{ to: Address; data: Hex }> {
  const out: Array<{ to: Address; data: Hex }> = []
  for (const a of new Set([...addresses].map((x) => getAddress(x)))) {
    if (cache.has(`${chainId}:${a}`) || known.some((t) => t.address === a)) continue
    for (const functionName of ['symbol', 'decimals'] as const)
      out.push({ to: a, data: encodeFunctionData({ abi: erc20, functionName }) })
  }
  return out
}

/**
 * What `holder` held at `block` (before the simulated transaction runs on top of it) of the coin
 * and each ERC20 token that leaves it. A balance that cannot be read is left out: unknown, not 0.
 */
export async function balancesBefore(
  changes: AssetChange[],
  holder: Address,
  ep: Endpoint,
  block: Hex,
): Promise<BalanceBefore[]> {
  const tokens = new Set<Address | 'native'>()
  for (const c of changes) {
    if (c.from !== holder || c.to === holder) continue
    if (c.standard === 'native') tokens.add('native')
    else if (c.standard === 'erc20' && c.token) tokens.add(c.token)
  }
  const read = await Promise.all(
    [...tokens].slice(0, MAX_BALANCE_READS).map(async (token): Promise<BalanceBefore | undefined> => {
      try {
        const balance =
          token === 'native'
            ? BigInt(await ep.request<Hex>('eth_getBalance', [holder, block]))
            : await readCall<bigint>(ep, token, erc20, 'balanceOf', [holder], block)
        return { holder, token, balance }
      } catch (error) {
        // A token whose balanceOf reverts has no share to judge; a node that did not answer fails the simulation.
        if (isRetryable(error)) throw error
        return undefined
      }
    }),
  )
  return read.filter((b): b is BalanceBefore => b !== undefined)
}
