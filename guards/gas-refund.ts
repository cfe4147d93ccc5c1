import { formatEther, zeroAddress } from 'viem'
import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'
import { uint256 } from '../src/model/zod.js'

export default defineGuard({
  meta: {
    id: 'gas-refund',
    description:
      'A gas refund (non-zero gasPrice): paid in a token or to a chosen receiver, or large enough (baseGas × gasPrice) to drain the Safe into the executor.',
    appliesTo: ['safe'],
    needsSimulation: false,
    codes: {
      'gas-refund': 'high',
      'large-refund-to-executor': 'high',
      'refund-to-executor': 'medium',
    },
  },
  options: z.object({
    /** A native refund to the executor that can exceed this (wei, before the gas the call itself uses) is high. */
    maxRefundWei: uint256.default(10n ** 16n),
  }),
  check(ctx) {
    if (ctx.proposal.origin.kind !== 'safe') return []
    const { gasPrice, gasToken, refundReceiver, baseGas, safeTxGas } = ctx.proposal.origin.tx
    if (gasPrice === 0n) return []
    const cost = `(safeTxGas ${safeTxGas}, baseGas ${baseGas}, gasPrice ${gasPrice})`
    const pieces: string[] = []
    if (gasToken !== zeroAddress) pieces.push(`in token ${gasToken}`)
    if (refundReceiver !== zeroAddress) pieces.push(`to ${refundReceiver}`)
    if (pieces.length)
      return [
        { code: 'gas-refund', severity: 'high', message: `pays a gas refund ${pieces.join(' ')} ${cost}` },
      ]
    // The executor picks tx.gasprice up to gasPrice and is paid (gasUsed + baseGas) × it: baseGas
    // is not bounded by anything, so it alone can move the Safe's ETH to whoever executes.
    const payout = (safeTxGas + baseGas) * gasPrice
    const large = payout > ctx.options.maxRefundWei
    return [
      {
        code: large ? 'large-refund-to-executor' : 'refund-to-executor',
        severity: large ? 'high' : 'medium',
        message: `pays whoever executes it up to ${formatEther(payout)} ETH plus the gas the call uses ${cost}`,
      },
    ]
  },
})
