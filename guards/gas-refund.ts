import { zeroAddress } from 'viem'
import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'

export default defineGuard({
  meta: {
    id: 'gas-refund',
    description:
      'A gas refund (non-zero gasPrice) paid in a token or to a chosen receiver: a way to drain the Safe on execution.',
    appliesTo: ['safe'],
    needsSimulation: false,
    maxSeverity: 'high',
  },
  options: z.object({}),
  check(ctx) {
    if (ctx.proposal.origin.kind !== 'safe') return []
    const { gasPrice, gasToken, refundReceiver, baseGas, safeTxGas } = ctx.proposal.origin.tx
    if (gasPrice === 0n) return []
    const pieces: string[] = []
    if (gasToken !== zeroAddress) pieces.push(`in token ${gasToken}`)
    if (refundReceiver !== zeroAddress) pieces.push(`to ${refundReceiver}`)
    const cost = `(safeTxGas ${safeTxGas}, baseGas ${baseGas}, gasPrice ${gasPrice})`
    if (pieces.length === 0) {
      return [
        {
          code: 'refund-to-executor',
          severity: 'low',
          message: `pays a gas refund in the native coin to whoever executes it ${cost}`,
        },
      ]
    }
    return [
      { code: 'gas-refund', severity: 'high', message: `pays a gas refund ${pieces.join(' ')} ${cost}` },
    ]
  },
})
