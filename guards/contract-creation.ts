import { z } from 'zod'
import { defineGuard } from '../src/model/guard.js'
import { unsupportedOperation } from '../src/model/safe-version.js'

export default defineGuard({
  meta: {
    id: 'contract-creation',
    description:
      'A Safe transaction with operation 2 (CREATE): a legacy Safe (0.1.0, 1.0.0) deploys its data as a new contract, whose init code custos cannot decode; a later Safe cannot run it at all.',
    appliesTo: ['safe'],
    needsSimulation: false,
    codes: {
      'contract-creation': 'high',
      'unsupported-operation': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    const origin = ctx.proposal.origin
    if (origin.kind !== 'safe' || origin.tx.operation !== 2) return []
    const { tx } = origin
    const unsupported = unsupportedOperation(origin.version, tx.operation)
    if (unsupported)
      return [
        {
          code: 'unsupported-operation',
          severity: 'high',
          path: '0',
          message: `${unsupported}: this transaction reverts, so what it claims to be is not what anyone can execute`,
        },
      ]
    const bytes = (tx.data.length - 2) / 2
    return [
      {
        code: 'contract-creation',
        severity: 'high',
        path: '0',
        message: `the Safe deploys a new contract from ${bytes} bytes of init code${tx.value > 0n ? ` and funds it with ${tx.value} wei` : ''}: init code runs no function custos can decode, so what it does is known only from a simulation`,
      },
    ]
  },
})
