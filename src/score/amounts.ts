import { type Address, formatUnits } from 'viem'
import type { TokenInfo } from '../model/guard.js'

/** `1,250.5 USDC` when the token is known, the raw integer and the token address otherwise. */
export function formatAmount(amount: bigint, token: Address | 'native', tokens: TokenInfo[]): string {
  if (token === 'native') return `${group(formatUnits(amount, 18))} ETH (native)`
  const info = tokens.find((t) => t.address === token)
  return info
    ? `${group(formatUnits(amount, info.decimals))} ${info.symbol}`
    : `${amount} units of token ${token}`
}

const group = (decimal: string) => {
  const [int = '0', frac] = decimal.split('.')
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return frac ? `${grouped}.${frac}` : grouped
}
