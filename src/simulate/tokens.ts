import { type Address, type Hex, hexToString, parseAbi } from 'viem'
import type { TokenInfo } from '../model/guard.js'
import type { AssetChange } from '../model/simulation.js'
import { type Endpoint, readCall } from './endpoint.js'

const erc20 = parseAbi([
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
])
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
    readCall<string>(ep, token, erc20, 'symbol', [], block).catch(() =>
      readCall<Hex>(ep, token, bytes32Symbol, 'symbol', [], block)
        .then((h) => hexToString(h, { size: 32 }).replace(/\0+$/, ''))
        // No symbol at all: the token is shown by its address.
        .catch(() => undefined),
    ),
    // No decimals(): amounts are shown in base units.
    readCall<number>(ep, token, erc20, 'decimals', [], block).catch(() => undefined),
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
