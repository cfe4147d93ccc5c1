import { type Address, type Hash, type Hex, keccak256, type PublicClient, parseAbi, toHex } from 'viem'
import type { Call } from '../model/proposal.js'
import { errorText } from '../model/redact.js'
import type { UnsignedTx, VetoSigner } from '../respond/veto-signer.js'
import type { ServiceClient } from '../sources/tx-service.js'
import type { StoredProposal, VetoStatus, WorkBatch } from '../store/types.js'
import { readSafeState } from '../verify/chain.js'
import { proposalUpdate } from './chat.js'
import type { WatchContext } from './context.js'

// Acting on a veto: the executor for the proposal's kind, after checking that there is still
// something to stop, within the rate limits, or only reported (dry run). Every attempt and its
// outcome is audited and recorded; the channels that were told about the proposal hear of it.

const governorAbi = parseAbi(['function state(uint256 proposalId) view returns (uint8)'])
const timelockAbi = parseAbi(['function isOperationPending(bytes32 id) view returns (bool)'])
const OZ_OPEN = new Set([0, 1, 4, 5]) // Pending, Active, Succeeded, Queued
const HOUR = 3_600_000

export type VetoOutcome = { status: VetoStatus; message: string; txHash?: Hash }

export type VetoDeps = {
  signer: VetoSigner | undefined
  service(chainId: number): Promise<ServiceClient>
}

export function createVetoer(ctx: WatchContext, deps: VetoDeps) {
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

  async function stopSafe(p: StoredProposal, signer: VetoSigner): Promise<VetoOutcome> {
    const client = ctx.client(p.chainId)
    const state = await readSafeState(client, p.safe as Address)
    if (state.nonce > p.nonce)
      return { status: 'refused', message: `nonce ${p.nonce} is already used: nothing to stop` }
    const rejection = await signer.signSafeRejection({
      chainId: p.chainId,
      safe: p.safe as Address,
      version: state.version,
      nonce: p.nonce,
    })
    const isOwner = state.owners.some((o) => o.toLowerCase() === signer.address.toLowerCase())
    if (!isOwner)
      return {
        status: 'refused',
        message: `the guardian ${signer.address} is not an owner of ${p.safe}: it cannot sign a rejection`,
      }
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
            message: `vetoed it: executed the rejection at nonce ${p.nonce} (${sent.hash}); this transaction can no longer execute`,
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
      // Not a veto yet: the transaction can still execute until the rejection does.
      message: `proposed a rejection at nonce ${p.nonce} (${rejection.safeTxHash}), signed by the guardian: ${plural(Number(state.threshold) - 1, 'more signature')} needed before this transaction can no longer execute`,
    }
  }

  async function stopGovernance(p: StoredProposal, signer: VetoSigner): Promise<VetoOutcome> {
    const client = ctx.client(p.chainId)
    const report = await latest(p)
    const g = report?.governance
    const [, kind, , id] = p.id.split(':')
    let unsigned: UnsignedTx
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
      unsigned = await prepared(client, signer.address, (params) =>
        signer.cancelTimelockOperation(input, params),
      )
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
        unsigned = await prepared(client, signer.address, (params) =>
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
        unsigned = await prepared(client, signer.address, (params) =>
          signer.cancelGovernorProposal(input, params),
        )
      }
    }
    const sent = await send(client, await signer.signTransaction(unsigned))
    return sent.ok
      ? { status: 'sent', txHash: sent.hash, message: `vetoed it: cancelled (${sent.hash})` }
      : { status: 'failed', txHash: sent.hash, message: `the cancel reverted (${sent.hash})` }
  }

  let queue: Promise<void> = Promise.resolve()
  return {
    /**
     * Vetoes a proposal: the policy's decision (`auto`) or a signer's press (`chat`). Vetoes run
     * one at a time: two judgements of one proposal, or two presses, cannot both send, and the
     * rate limits are counted with every earlier veto recorded.
     */
    veto(p: StoredProposal, by: { kind: 'auto' | 'chat'; actor: string }): Promise<VetoOutcome> {
      const run = queue.then(() => vetoOnce(p, by))
      queue = run.then(
        () => undefined,
        () => undefined,
      )
      return run
    },
  }

  async function vetoOnce(
    p: StoredProposal,
    by: { kind: 'auto' | 'chat'; actor: string },
  ): Promise<VetoOutcome> {
    const v = config.veto
    let outcome: VetoOutcome
    const now = ctx.clock()
    // The policy decides again whenever a proposal is judged again: it acts once (a dry run
    // counts only while custos is still in dry run). A signer may press again; the executor
    // then checks there is still something to stop.
    const before = await store.vetoOutcomes(p.id)
    const acted = before.find((s) => s === 'sent' || s === 'proposed' || (s === 'dry-run' && v.dryRun))
    if (by.kind === 'auto' && acted) return { status: acted, message: 'already vetoed' }
    if (!v.enabled) outcome = { status: 'refused', message: 'vetoes are switched off (veto.enabled)' }
    else if (
      by.kind === 'auto' &&
      ((await store.vetoesSince(now - HOUR, p.safe)) >= v.maxPerTargetPerHour ||
        (await store.vetoesSince(now - HOUR)) >= v.maxPerHour)
    )
      outcome = {
        status: 'rate-limited',
        message: `the automatic veto limit was reached (${v.maxPerTargetPerHour} per target, ${v.maxPerHour} in all, per hour)`,
      }
    else if (v.dryRun)
      outcome = { status: 'dry-run', message: 'dry run: custos would veto now, and sent nothing' }
    else if (!deps.signer)
      outcome = { status: 'refused', message: 'no veto key is configured (veto.keyEnv or veto.keystore)' }
    else {
      try {
        outcome = p.id.includes(':safe:')
          ? await stopSafe(p, deps.signer)
          : await stopGovernance(p, deps.signer)
      } catch (error) {
        outcome = { status: 'failed', message: errorText(error) }
      }
    }
    const done = outcome.status === 'sent' || outcome.status === 'proposed'
    const batch: WorkBatch = {
      vetoes: [
        {
          proposalId: p.id,
          kind: by.kind,
          status: outcome.status,
          ...(outcome.txHash ? { txHash: outcome.txHash } : {}),
          details: { actor: by.actor, message: outcome.message },
        },
      ],
      audit: [{ actor: by.actor, action: `veto-${outcome.status}`, subject: p.id, details: outcome }],
      outbox: await proposalUpdate(
        ctx,
        p,
        done ? 'vetoed' : 'veto-requested',
        // What was done, in the actor's name: "custos proposed a rejection…", "custos vetoed it…".
        done
          ? `${by.kind === 'auto' ? 'custos' : by.actor.split(' via ')[0]} ${outcome.message}`
          : `${by.kind === 'auto' ? 'custos' : by.actor.split(' via ')[0]}: veto ${outcome.status}: ${outcome.message}`,
        `veto:${by.kind}:${now}`,
      ),
    }
    await ctx.commit(batch)
    const log = done || outcome.status === 'dry-run' ? ctx.logger.info : ctx.logger.warn
    log.call(ctx.logger, { proposal: p.id, veto: outcome.status, by: by.actor }, outcome.message)
    return outcome
  }
}

export type Vetoer = ReturnType<typeof createVetoer>

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`
