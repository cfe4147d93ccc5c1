import { keccak256, toHex } from 'viem'
import { GOVERNOR_VIEWS } from '../../model/governance-abi.js'
import type { Call, GovernorOrigin } from '../../model/proposal.js'
import type { VetoOutcome } from '../../model/veto.js'
import { type ExecutorDeps, noKey } from './common.js'
import { prepared, send } from './send.js'

// A governor's proposal is cancelled by its guardian while it can still run: OpenZeppelin's
// `cancel(targets, values, calldatas, descriptionHash)` (the proposal's own calls and the hash
// of its description, as stored from its event), Bravo's `cancel(proposalId)`.

const OPEN = new Set([0, 1, 4, 5]) // Pending, Active, Succeeded, Queued

/** The state check comes first; a dry run stops after it. */
export async function cancelGovernorProposal(
  deps: ExecutorDeps,
  origin: GovernorOrigin,
  calls: Call[],
): Promise<VetoOutcome> {
  const { chainId, client, signer } = deps
  const { governor, proposalId } = origin
  const state = Number(
    await client.readContract({
      address: governor,
      abi: GOVERNOR_VIEWS,
      functionName: 'state',
      args: [proposalId],
    }),
  )
  if (!OPEN.has(state))
    return { status: 'refused', message: `the proposal is in state ${state}: nothing to stop` }
  if (deps.dryRun)
    return { status: 'dry-run', message: 'dry run: custos would cancel it now, and sent nothing' }
  if (!signer) return noKey
  const unsigned =
    origin.flavor === 'bravo'
      ? await prepared(client, signer.address, (params) =>
          signer.cancelBravoProposal({ chainId, governor, proposalId }, params),
        )
      : await prepared(client, signer.address, (params) =>
          signer.cancelGovernorProposal(
            {
              chainId,
              governor,
              targets: calls.map((c) => c.to),
              values: calls.map((c) => c.value),
              calldatas: calls.map((c) => c.data),
              descriptionHash: keccak256(toHex(origin.description)),
            },
            params,
          ),
        )
  const sent = await send(client, await signer.signTransaction(unsigned))
  return sent.ok
    ? { status: 'sent', txHash: sent.hash, message: `vetoed it: cancelled (${sent.hash})` }
    : { status: 'failed', txHash: sent.hash, message: `the cancel reverted (${sent.hash})` }
}
