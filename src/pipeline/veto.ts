import type { Address } from 'viem'
import type { Config } from '../config/schema.js'
import type { Logger } from '../model/logger.js'
import { errorText } from '../model/redact.js'
import type { VetoOutcome } from '../model/veto.js'
import { cancelGovernorProposal } from '../respond/veto/governor.js'
import { type Proposer, rejectSafeTransaction } from '../respond/veto/safe.js'
import { cancelTimelockOperation } from '../respond/veto/timelock.js'
import { createVetoSigner, loadVetoKey, type VetoSigner } from '../respond/veto-signer.js'
import type { StoredProposal, WorkBatch } from '../store/types.js'
import { readSafeState } from '../verify/chain.js'
import type { WatchContext } from './context.js'
import { listedPauses, pauseEpisode, pauseNotice, vetoSwitch } from './pause.js'
import { proposalUpdate } from './updates.js'

// Acting on a veto: the executor for the proposal's kind (respond/veto/), after checking that
// there is still something to stop, within the rate limits, or only reported (dry run). Every
// attempt and its outcome is audited and recorded; the channels that were told about the
// proposal hear of it.

const HOUR = 3_600_000

export type { VetoOutcome }

export type VetoDeps = {
  signer: VetoSigner | undefined
  proposer(chainId: number): Promise<Proposer>
}

/**
 * The guardian's key, loaded once at start (a key that cannot be loaded stops custos at once),
 * and taken out of the environment either way: the anvil processes custos starts would inherit it.
 */
export function loadGuardian(config: Config, env: NodeJS.ProcessEnv, logger: Logger): VetoSigner | undefined {
  const v = config.veto
  const signer =
    v.enabled && (v.keyEnv || v.keystore)
      ? createVetoSigner(
          loadVetoKey({
            env,
            ...(v.keyEnv ? { keyEnv: v.keyEnv } : {}),
            ...(v.keystore ? { keystoreFile: v.keystore.file, passphraseEnv: v.keystore.passphraseEnv } : {}),
          }),
          { pauses: listedPauses(config) },
        )
      : undefined
  if (v.keyEnv) delete env[v.keyEnv]
  if (v.keystore) delete env[v.keystore.passphraseEnv]
  if (signer) logger.info({ guardian: signer.address, dryRun: v.dryRun }, 'veto key loaded')
  return signer
}

export function createVetoer(ctx: WatchContext, deps: VetoDeps) {
  const { config, store } = ctx

  /** The executor for the proposal's kind. */
  async function stop(p: StoredProposal, signer: VetoSigner): Promise<VetoOutcome> {
    const base = { chainId: p.chainId, client: ctx.client(p.chainId), signer }
    switch (p.origin.kind) {
      case 'safe':
        return rejectSafeTransaction(
          {
            ...base,
            readSafe: (safe: Address) => readSafeState(base.client, safe),
            proposer: () => deps.proposer(p.chainId),
          },
          p.origin,
        )
      case 'governor':
        return cancelGovernorProposal(base, p.origin, p.calls)
      case 'timelock':
        return cancelTimelockOperation(base, p.origin)
      case 'check':
        return pauseEpisode(ctx, p, signer)
      default:
        return { status: 'refused', message: `custos cannot veto a ${p.origin.kind} proposal` }
    }
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
    const sw = vetoSwitch(config, p)
    let outcome: VetoOutcome
    const now = ctx.clock()
    // The policy decides again whenever a proposal is judged again: it acts once (a dry run
    // counts only while custos is still in dry run). A signer may press again; the executor
    // then checks there is still something to stop.
    const before = await store.vetoOutcomes(p.id)
    const acted = before.find((s) => s === 'sent' || s === 'proposed' || (s === 'dry-run' && sw.dryRun))
    if (by.kind === 'auto' && acted) return { status: acted, message: 'already vetoed' }
    if (!sw.enabled) outcome = { status: 'refused', message: sw.off }
    else if (
      by.kind === 'auto' &&
      ((await store.vetoesSince(now - HOUR, { chainId: p.chainId, address: p.target.address })) >=
        v.maxPerTargetPerHour ||
        (await store.vetoesSince(now - HOUR)) >= v.maxPerHour)
    )
      outcome = {
        status: 'rate-limited',
        message: `the automatic veto limit was reached (${v.maxPerTargetPerHour} per target, ${v.maxPerHour} in all, per hour)`,
      }
    else if (sw.dryRun)
      outcome = {
        status: 'dry-run',
        message: sw.dryRunText ?? 'dry run: custos would veto now, and sent nothing',
      }
    else if (!deps.signer)
      outcome = { status: 'refused', message: 'no veto key is configured (veto.keyEnv or veto.keystore)' }
    else {
      try {
        outcome = await stop(p, deps.signer)
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
      outbox: [
        ...(await proposalUpdate(
          ctx,
          p,
          done ? (p.origin.kind === 'check' ? 'paused' : 'vetoed') : 'veto-requested',
          `${by.kind === 'auto' ? 'custos' : by.actor.split(' via ')[0]}: ${p.origin.kind === 'check' ? 'pause' : 'veto'} ${outcome.status}: ${outcome.message}`,
          `veto:${by.kind}:${now}`,
        )),
        ...(p.origin.kind === 'check'
          ? pauseNotice(
              ctx,
              p,
              outcome,
              by.kind === 'auto' ? 'custos' : (by.actor.split(' via ')[0] ?? by.actor),
            )
          : []),
      ],
    }
    await ctx.commit(batch)
    const log = done || outcome.status === 'dry-run' ? ctx.logger.info : ctx.logger.warn
    log.call(ctx.logger, { proposal: p.id, veto: outcome.status, by: by.actor }, outcome.message)
    return outcome
  }
}

export type Vetoer = ReturnType<typeof createVetoer>
