import { type Address, type Hash, type Hex, keccak256, type PublicClient, parseAbi, toHex } from 'viem'
import type { Call } from '../model/proposal.js'
import type { UnsignedTx, VetoSigner } from '../respond/veto-signer.js'
import type { ServiceClient } from '../sources/tx-service.js'
import type { StoredProposal, VetoStatus } from '../store/types.js'
import { readSafeState } from '../verify/chain.js'
import type { WatchContext } from './context.js'

// The veto executors, one per kind of proposal: each first checks on chain that there is still
// something to stop (and, for a Safe, that a rejection may be signed at all), and a dry run
// stops there; then the guardian key builds, signs and sends or proposes the veto.

const governorAbi = parseAbi(['function state(uint256 proposalId) view returns (uint8)'])
const timelockAbi = parseAbi(['function isOperationPending(bytes32 id) view returns (bool)'])
const OZ_OPEN = new Set([0, 1, 4, 5]) // Pending, Active, Succeeded, Queued

export type VetoOutcome = {
  status: VetoStatus
  message: string
  txHash?: Hash
  /** custos cannot make this veto, and the signers must hear of it (the ladder starts). */
  escalate?: true
}

const noKey: VetoOutcome = {
  status: 'refused',
  message: 'no veto key is configured (veto.keyEnv or veto.keystore)',
}

export type VetoDeps = {
  signer: VetoSigner | undefined
  service(chainId: number): Promise<ServiceClient>
}

export function createVetoExecutors(ctx: WatchContext, deps: VetoDeps) {
  const { config, store } = ctx

  /**
   * A transaction the guardian sends, with nonce, fees and gas from the node: a draft gives the
   * calldata the signer builds, whose gas is then estimated for the final one.
   */
  const prepared = async (
    client: PublicClient,
    from: Address,
    build: (params: {
      nonce: number
      gas: bigint
      maxFeePerGas: bigint
      maxPriorityFeePerGas: bigint
    }) => UnsignedTx,
  ): Promise<UnsignedTx> => {
    const [nonce, fee] = await Promise.all([
      client.getTransactionCount({ address: from, blockTag: 'pending' }),
      client.estimateFeesPerGas(),
    ])
    const base = {
      nonce,
      maxFeePerGas: fee.maxFeePerGas ?? 0n,
      maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? 0n,
    }
    const draft = build({ ...base, gas: 1_000_000n })
    const gas = await client.estimateGas({
      account: from,
      to: draft.to,
      data: draft.data,
      value: draft.value,
    })
    return build({ ...base, gas: (gas * 13n) / 10n + 20_000n })
  }
  const send = async (client: PublicClient, raw: Hex): Promise<{ hash: Hash; ok: boolean }> => {
    const hash = await client.sendRawTransaction({ serializedTransaction: raw })
    const receipt = await client.waitForTransactionReceipt({ hash, timeout: 120_000 })
    return { hash, ok: receipt.status === 'success' }
  }

  /** The latest report's calls and governance facts, which a cancel needs. */
  const latest = async (p: StoredProposal) =>
    (await store.latestReport(p.id))?.json as
      | {
          calls?: Array<{ calls?: Array<{ to: Address; value: string; data: Hex }> }>
          governance?: { flavor?: string; governor?: Address; timelock?: Address; description?: string }
        }
      | undefined

  /**
   * The Safe's veto: the checks (something left to stop, not too far ahead, the guardian an
   * owner) come before anything is signed; a dry run stops after them.
   */
  async function stopSafe(
    p: StoredProposal,
    signer: VetoSigner | undefined,
    dryRun: boolean,
  ): Promise<VetoOutcome> {
    const client = ctx.client(p.chainId)
    const state = await readSafeState(client, p.safe as Address)
    if (state.nonce > p.nonce)
      return { status: 'refused', message: `nonce ${p.nonce} is already used: nothing to stop` }
    // A rejection signed for a far nonce waits there, ready to burn whatever legitimate
    // transaction comes to use it: none is signed beyond the configured distance.
    const ahead = p.nonce - state.nonce
    if (ahead > BigInt(config.veto.maxNonceAhead))
      return {
        status: 'refused',
        escalate: true,
        message: `nonce ${p.nonce} is ${ahead} past the Safe's nonce ${state.nonce}, beyond veto.maxNonceAhead (${config.veto.maxNonceAhead}): no rejection is signed that far ahead; escalated to the signers instead`,
      }
    if (signer && !state.owners.some((o) => o.toLowerCase() === signer.address.toLowerCase()))
      return {
        status: 'refused',
        escalate: true,
        message: `the guardian ${signer.address} is not an owner of ${p.safe}: it cannot sign a rejection; escalated to the signers instead`,
      }
    if (dryRun)
      return {
        status: 'dry-run',
        message: `dry run: custos would veto now (a rejection at nonce ${p.nonce}), and sent nothing`,
      }
    if (!signer) return noKey
    const rejection = await signer.signSafeRejection({
      chainId: p.chainId,
      safe: p.safe as Address,
      version: state.version,
      nonce: p.nonce,
    })
    // Alone at the threshold (and only at the Safe's current nonce), it executes the rejection.
    if (state.threshold <= 1n && state.nonce === p.nonce) {
      const signatures = rejection.signature
      const unsigned = await prepared(client, signer.address, (params) =>
        signer.executeSafeRejection(
          { chainId: p.chainId, safe: p.safe as Address, version: state.version, nonce: p.nonce, signatures },
          params,
        ),
      )
      const sent = await send(client, await signer.signTransaction(unsigned))
      return sent.ok
        ? {
            status: 'sent',
            txHash: sent.hash,
            message: `executed the rejection at nonce ${p.nonce} (${sent.hash})`,
          }
        : {
            status: 'failed',
            txHash: sent.hash,
            message: `the rejection at nonce ${p.nonce} reverted (${sent.hash})`,
          }
    }
    // Otherwise it proposes it, signed, and the signers are asked to co-sign.
    await (await deps.service(p.chainId)).propose({
      safe: p.safe as Address,
      tx: rejection.tx,
      safeTxHash: rejection.safeTxHash,
      sender: signer.address,
      signature: rejection.signature,
    })
    return {
      status: 'proposed',
      message: `proposed a rejection at nonce ${p.nonce} (${rejection.safeTxHash}), signed by the guardian: ${Number(state.threshold) - 1} more signature(s) needed`,
    }
  }

  /** A governance veto: the state checks come first; a dry run stops after them. */
  async function stopGovernance(
    p: StoredProposal,
    signer: VetoSigner | undefined,
    dryRun: boolean,
  ): Promise<VetoOutcome> {
    const client = ctx.client(p.chainId)
    const report = await latest(p)
    const g = report?.governance
    const [, kind, , id] = p.id.split(':')
    let build: (signer: VetoSigner) => Promise<UnsignedTx>
    if (kind === 'timelock') {
      const timelock = p.safe as Address
      const pending = await client.readContract({
        address: timelock,
        abi: timelockAbi,
        functionName: 'isOperationPending',
        args: [id as Hash],
      })
      if (!pending)
        return { status: 'refused', message: 'the operation is no longer pending: nothing to stop' }
      const input = { chainId: p.chainId, timelock, operationId: id as Hash }
      build = (signer) =>
        prepared(client, signer.address, (params) => signer.cancelTimelockOperation(input, params))
    } else {
      const governor = p.safe as Address
      const proposalId = BigInt(id ?? '0')
      const state = Number(
        await client.readContract({
          address: governor,
          abi: governorAbi,
          functionName: 'state',
          args: [proposalId],
        }),
      )
      if (!OZ_OPEN.has(state))
        return { status: 'refused', message: `the proposal is in state ${state}: nothing to stop` }
      if (g?.flavor === 'bravo') {
        build = (signer) =>
          prepared(client, signer.address, (params) =>
            signer.cancelBravoProposal({ chainId: p.chainId, governor, proposalId }, params),
          )
      } else {
        const calls: Call[] = (report?.calls?.[0]?.calls ?? []).map((c) => ({
          to: c.to,
          value: BigInt(c.value),
          data: c.data,
          operation: 'call',
        }))
        // OpenZeppelin identifies a proposal by its calls and the hash of its description.
        if (g?.description === undefined)
          return { status: 'failed', message: 'the report lacks the description a cancel needs' }
        const descriptionHash = keccak256(toHex(g.description))
        const input = {
          chainId: p.chainId,
          governor,
          targets: calls.map((c) => c.to),
          values: calls.map((c) => c.value),
          calldatas: calls.map((c) => c.data),
          descriptionHash,
        }
        build = (signer) =>
          prepared(client, signer.address, (params) => signer.cancelGovernorProposal(input, params))
      }
    }
    if (dryRun) return { status: 'dry-run', message: 'dry run: custos would cancel it now, and sent nothing' }
    if (!signer) return noKey
    const sent = await send(client, await signer.signTransaction(await build(signer)))
    return sent.ok
      ? { status: 'sent', txHash: sent.hash, message: `cancelled (${sent.hash})` }
      : { status: 'failed', txHash: sent.hash, message: `the cancel reverted (${sent.hash})` }
  }

  return { stopSafe, stopGovernance }
}
