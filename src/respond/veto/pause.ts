import { errorText } from '../../model/redact.js'
import type { VetoOutcome } from '../../model/veto.js'
import { type ExecutorDeps, noKey } from './common.js'
import { prepared, send } from './send.js'

// The circuit breaker: a protocol's pause, exactly as the configuration lists it, sent from the
// veto key. A pause that would revert (the contract is already paused, the key lost its role) is
// found when its gas is estimated, and reported as failed with the reason. A dry run makes that
// estimate too: it says whether the live pause would go through, before the day it is needed.

export async function sendPause(
  deps: ExecutorDeps,
  pause: { id: string; signature: string; target: string },
): Promise<VetoOutcome> {
  const { client, signer } = deps
  const what = `${pause.signature} on ${pause.target}`
  if (!signer)
    return deps.dryRun
      ? {
          status: 'dry-run',
          message: 'dry run: custos would pause now, and sent nothing (no veto key to try the pause from)',
        }
      : noKey
  let unsigned: Awaited<ReturnType<typeof prepared>>
  try {
    unsigned = await prepared(client, signer.address, (params) =>
      signer.pauseProtocol({ id: pause.id }, params),
    )
  } catch (error) {
    return {
      status: 'failed',
      message: `${deps.dryRun ? 'dry run: ' : ''}the pause ${what} cannot be sent from ${signer.address}: ${errorText(error)}`,
    }
  }
  if (deps.dryRun)
    return {
      status: 'dry-run',
      message: `dry run: custos would pause now (${what} from ${signer.address} passes its gas estimate), and sent nothing`,
    }
  const sent = await send(client, await signer.signTransaction(unsigned))
  return sent.ok
    ? { status: 'sent', txHash: sent.hash, message: `paused: ${what} (${sent.hash})` }
    : { status: 'failed', txHash: sent.hash, message: `the pause ${what} reverted (${sent.hash})` }
}
