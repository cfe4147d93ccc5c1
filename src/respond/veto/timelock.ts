import { TIMELOCK_VIEWS } from '../../model/governance-abi.js'
import type { TimelockOrigin } from '../../model/proposal.js'
import type { VetoOutcome } from '../../model/veto.js'
import { type ExecutorDeps, noKey } from './common.js'
import { prepared, send } from './send.js'

/** A TimelockController operation is cancelled with CANCELLER_ROLE while it is still pending. */
export async function cancelTimelockOperation(
  deps: ExecutorDeps,
  origin: TimelockOrigin,
): Promise<VetoOutcome> {
  const { chainId, client, signer } = deps
  const pending = await client.readContract({
    address: origin.timelock,
    abi: TIMELOCK_VIEWS,
    functionName: 'isOperationPending',
    args: [origin.operationId],
  })
  if (!pending) return { status: 'refused', message: 'the operation is no longer pending: nothing to stop' }
  if (deps.dryRun)
    return { status: 'dry-run', message: 'dry run: custos would cancel it now, and sent nothing' }
  if (!signer) return noKey
  const unsigned = await prepared(client, signer.address, (params) =>
    signer.cancelTimelockOperation(
      { chainId, timelock: origin.timelock, operationId: origin.operationId },
      params,
    ),
  )
  const sent = await send(client, await signer.signTransaction(unsigned))
  return sent.ok
    ? { status: 'sent', txHash: sent.hash, message: `vetoed it: cancelled (${sent.hash})` }
    : { status: 'failed', txHash: sent.hash, message: `the cancel reverted (${sent.hash})` }
}
