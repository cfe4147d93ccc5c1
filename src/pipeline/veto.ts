import type { Address } from 'viem'
import type { Config } from '../config/schema.js'
import type { Logger } from '../model/logger.js'
import { errorText } from '../model/redact.js'
import type { StoredProposal, WorkBatch } from '../model/store.js'
import type { VetoOutcome } from '../model/veto.js'
import { CUSTOS_GUARD_ADDRESS } from '../respond/guard/contract.js'
import { cancelGovernorProposal } from '../respond/veto/governor.js'
import { stopOnGuard } from '../respond/veto/guard.js'
import { type Proposer, rejectSafeTransaction } from '../respond/veto/safe.js'
import { cancelTimelockOperation } from '../respond/veto/timelock.js'
import { createVetoSigner, loadVetoKey, type VetoSigner } from '../respond/veto-signer.js'
import { readSafeState } from '../verify/chain.js'
import type { WatchContext } from './context.js'
import { actAsGuardian, escalationFor, type GuardianAction, guardDeps } from './guardian.js'
import { listedPauses, pauseEpisode, pauseNotice, vetoSwitch } from './pause.js'
import { proposalUpdate } from './updates.js'

// Acting on a veto: one attempt per proposal at a time, within the rate limits, by the executor
// for the proposal's kind (respond/veto/), or only reported (dry run). Every attempt and its
// outcome is audited and recorded; the channels that were told about the proposal hear of it.

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
          // Pause calls and guard calls go only where the configuration names them.
          { pauses: listedPauses(config), guards: guardAddresses(config) },
        )
      : undefined
  if (v.keyEnv) delete env[v.keyEnv]
  if (v.keystore) delete env[v.keystore.passphraseEnv]
  if (signer) logger.info({ guardian: signer.address, dryRun: v.dryRun }, 'veto key loaded')
  return signer
}

/** The custos Guard addresses of the Safes that run one, with custos as guardian. */
export const guardAddresses = (config: Pick<Config, 'safes'>): Address[] => [
  ...new Set(config.safes.flatMap((s) => (s.guard ? [s.guard.address ?? CUSTOS_GUARD_ADDRESS] : []))),
]

export function createVetoer(ctx: WatchContext, deps: VetoDeps) {
  const { config, store } = ctx

  /** A Safe running the custos Guard is stopped on the guard; otherwise, or where it cannot be, by a rejection. */
  async function stopSafe(p: StoredProposal, origin: Extract<StoredProposal['origin'], { kind: 'safe' }>) {
    const client = ctx.client(p.chainId)
    const base = { chainId: p.chainId, client, signer: deps.signer, dryRun: config.veto.dryRun }
    const readSafe = (safe: Address) => readSafeState(client, safe)
    const guard = ctx.targets.get(p.chainId, p.target.address)?.guard
    if (guard) {
      const onGuard = await stopOnGuard(
        guardDeps(ctx, p, guard, { signer: base.signer, dryRun: base.dryRun }),
        origin,
      )
      if (onGuard) return onGuard
    }
    return rejectSafeTransaction(
      {
        ...base,
        readSafe,
        proposer: () => deps.proposer(p.chainId),
        maxNonceAhead: config.veto.maxNonceAhead,
      },
      origin,
    )
  }

  /** The executor for the proposal's kind: its checks first, then (unless a dry run) the veto. */
  function stop(p: StoredProposal): Promise<VetoOutcome> {
    const base = {
      chainId: p.chainId,
      client: ctx.client(p.chainId),
      signer: deps.signer,
      dryRun: vetoSwitch(config, p).dryRun,
    }
    switch (p.origin.kind) {
      case 'safe':
        return stopSafe(p, p.origin)
      case 'governor':
        return cancelGovernorProposal(base, p.origin, p.calls)
      case 'timelock':
        return cancelTimelockOperation(base, p.origin)
      case 'check':
        return pauseEpisode(ctx, p, base)
      default:
        return Promise.resolve({
          status: 'refused',
          message: `custos cannot veto a ${p.origin.kind} proposal`,
        })
    }
  }

  let queue: Promise<void> = Promise.resolve()
  /** One at a time: every action spends the guardian account's nonce. */
  function serial<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work)
    queue = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
  return {
    /**
     * Vetoes a proposal: the policy's decision (`auto`) or a signer's press (`chat`). The store's
     * claim makes it single-flight per proposal; vetoes also run one at a time here, because
     * they all spend the guardian account's nonce.
     */
    veto(p: StoredProposal, by: { kind: 'auto' | 'chat'; actor: string }): Promise<VetoOutcome> {
      return serial(() => vetoOnce(p, by))
    },
    /** Approves or schedules a Safe transaction on the custos Guard (pipeline/guardian.ts). */
    guard(
      p: StoredProposal,
      action: GuardianAction,
      by: { kind: 'auto' | 'chat'; actor: string },
    ): Promise<VetoOutcome> {
      return serial(() => actAsGuardian(ctx, deps.signer, p, action, by))
    },
  }

  async function vetoOnce(
    p: StoredProposal,
    by: { kind: 'auto' | 'chat'; actor: string },
  ): Promise<VetoOutcome> {
    const v = config.veto
    const sw = vetoSwitch(config, p)
    const now = ctx.clock()
    if (!sw.enabled) return record(p, by, { status: 'refused', message: sw.off }, now)
    // Other replicas cannot give a second opinion on a protocol check yet: with a quorum, its
    // pause would wait forever, so the signers are asked instead (they can press Pause).
    if (by.kind === 'auto' && v.quorum > 1 && p.origin.kind === 'check') {
      const message = `veto.quorum is ${v.quorum} and replicas cannot judge a protocol check again yet: the pause is left to the signers`
      return record(p, by, { status: 'refused', message, escalate: true }, now)
    }
    // With a quorum, the policy's veto waits until that many replicas judged the proposal at the
    // veto level, each through its own RPC endpoints (a signer's press is a person's decision).
    if (by.kind === 'auto' && v.quorum > 1) {
      const agreed = (await store.replicas?.votes(p.id))?.filter((x) => x.veto).length ?? 0
      if (agreed < v.quorum) {
        const message = `waiting for ${v.quorum} replicas to judge it worth a veto (${agreed} so far)`
        await store.audit({
          actor: by.actor,
          action: 'veto-awaiting-quorum',
          subject: p.id,
          details: { agreed },
        })
        ctx.logger.info({ proposal: p.id, agreed, quorum: v.quorum }, message)
        return { status: 'refused', message }
      }
    }
    // The store grants one attempt at a time per proposal, and none once custos acted (a dry run
    // counts only while custos is still in dry run), with the rate limits counted in the same
    // transaction: no second judgement, press, process or replica can act again. The executor still
    // checks there is something left to stop.
    const claim = await store.claimVeto({
      proposalId: p.id,
      chainId: p.chainId,
      target: p.target.address,
      kind: by.kind,
      dryRun: sw.dryRun,
      ...(by.kind === 'auto'
        ? { limits: { perTarget: v.maxPerTargetPerHour, total: v.maxPerHour, since: now - HOUR } }
        : {}),
    })
    if (!claim.granted) {
      if (claim.reason === 'done') return { status: claim.status, message: 'already vetoed' }
      if (claim.reason === 'acting')
        return { status: 'refused', message: 'another veto of this proposal is under way' }
      return record(
        p,
        by,
        {
          status: 'rate-limited',
          message: `the automatic veto limit was reached (${v.maxPerTargetPerHour} per target, ${v.maxPerHour} in all, per hour)`,
        },
        now,
      )
    }
    let outcome: VetoOutcome
    try {
      outcome = await stop(p)
    } catch (error) {
      outcome = { status: 'failed', message: errorText(error) }
    }
    return record(p, by, outcome, now, claim.token)
  }

  /** Audits and records an attempt (settling its claim), and tells the channels. */
  async function record(
    p: StoredProposal,
    by: { kind: 'auto' | 'chat'; actor: string },
    outcome: VetoOutcome,
    now: number,
    claim?: string,
  ): Promise<VetoOutcome> {
    const done = outcome.status === 'sent' || outcome.status === 'proposed'
    const pause = p.origin.kind === 'check'
    const who = by.kind === 'auto' ? 'custos' : (by.actor.split(' via ')[0] ?? by.actor)
    const escalation = outcome.escalate ? await escalationFor(ctx, p, now, 'critical') : undefined
    const batch: WorkBatch = {
      vetoes: [
        {
          proposalId: p.id,
          kind: by.kind,
          status: outcome.status,
          ...(outcome.txHash ? { txHash: outcome.txHash } : {}),
          details: { actor: by.actor, message: outcome.message },
          ...(claim ? { claim } : {}),
        },
      ],
      audit: [{ actor: by.actor, action: `veto-${outcome.status}`, subject: p.id, details: outcome }],
      ...(escalation ? { escalations: [escalation] } : {}),
      outbox: [
        ...(await proposalUpdate(
          ctx,
          p,
          done ? (pause ? 'paused' : 'vetoed') : outcome.escalate ? 'escalated' : 'veto-requested',
          // What was done, in the actor's name: "custos proposed a rejection…", "custos vetoed it…".
          done
            ? `${who} ${outcome.message}`
            : `${who}: ${pause ? 'pause' : 'veto'} ${outcome.status}: ${outcome.message}`,
          `veto:${by.kind}:${now}`,
        )),
        ...(pause ? pauseNotice(ctx, p, outcome, who) : []),
      ],
    }
    await ctx.commit(batch)
    // A refusal is an answer (held by the guard, nothing left to stop); what went wrong is a warning.
    const log =
      outcome.status === 'failed' || outcome.status === 'rate-limited' || outcome.escalate
        ? ctx.logger.warn
        : ctx.logger.info
    log.call(ctx.logger, { proposal: p.id, veto: outcome.status, by: by.actor }, outcome.message)
    return outcome
  }
}

export type Vetoer = ReturnType<typeof createVetoer>
