import type { VetoOutcome } from '../../model/veto.js'
import { type ExecutorDeps, noKey } from './common.js'
import { prepared, send } from './send.js'

// The circuit breaker: a protocol's pause, exactly as the configuration lists it, sent from the
// veto key. A pause that would revert (the contract is already paused, the key lost its role) is
// found when its gas is estimated, and reported as failed with the reason.

export async function sendPause(
  deps: ExecutorDeps,
  pause: { id: string; signature: string; target: string },
): Promise<VetoOutcome> {
  const { client, signer } = deps
  if (deps.dryRun) return { status: 'dry-run', message: 'dry run: custos would pause now, and sent nothing' }
  if (!signer) return noKey
  const unsigned = await prepared(client, signer.address, (params) =>
    signer.pauseProtocol({ id: pause.id }, params),
  )
  const sent = await send(client, await signer.signTransaction(unsigned))
  const what = `${pause.signature} on ${pause.target}`
  return sent.ok
    ? { status: 'sent', txHash: sent.hash, message: `paused: ${what} (${sent.hash})` }
    : { status: 'failed', txHash: sent.hash, message: `the pause ${what} reverted (${sent.hash})` }
}
