import { isAlert, type OutboxPayload } from '../model/alert.js'
import type { Level } from '../model/severity.js'
import {
  actorName,
  type ChatCommands,
  type ChatUser,
  type CommandResult,
  type Press,
  type PressResult,
} from '../respond/chat.js'
import { escalateNow } from '../respond/escalation.js'
import type { Escalation, StoredProposal, WorkBatch } from '../store/types.js'
import { parseDuration, proposalUpdate, signerFor, silenceChanged, silenceKey } from './chat.js'
import type { WatchContext } from './context.js'
import { ladderFor } from './escalation.js'

/** The most a chat silence can last: a forgotten silence must not mute a Safe for good. */
const MAX_SILENCE_MS = 7 * 24 * 3600_000

export type ChatHooks = {
  /** What `/custos status` shows of the sources. */
  status(): {
    ready: string[]
    expected: string[]
    sources: Record<string, { failures: number; lastError?: string }>
  }
  /** The ladder should look at its rows now (after an Escalate press or a silence change). */
  wakeLadder(): void
}

/** The chat commands and button presses, checked against the signer map and audited. */
export function createChatCommands(ctx: WatchContext, hooks: ChatHooks): ChatCommands {
  const { store, config } = ctx

  /** Checks, in order: a replay, the signer map (for this Safe). Refusals are audited too. */
  async function admit(
    user: ChatUser,
    interactionId: string,
    action: string,
    subject: string,
    safe?: { chainId: number; address: string },
  ) {
    if (!(await store.claimInteraction(`${user.channel}:${interactionId}`)))
      return { duplicate: true as const }
    const who = signerFor(ctx, user, safe)
    if ('refused' in who) {
      await store.audit({
        actor: `${user.channel}:${user.id}`,
        action: 'chat-refused',
        subject,
        details: { action, user: user.name },
      })
      return { refused: who.refused }
    }
    return { signer: who.signer, actor: actorName(user.channel, user.id, who.signer.name) }
  }

  async function press(p: Press): Promise<PressResult> {
    const user: ChatUser = { ...p.user, channel: p.channel }
    const proposal = await store.proposalByRef(p.ref)
    const admitted = await admit(
      user,
      p.interactionId,
      p.action,
      proposal?.id ?? p.ref,
      proposal ? { chainId: proposal.chainId, address: proposal.safe } : undefined,
    )
    if ('duplicate' in admitted) return { outcome: 'duplicate', message: '' }
    if ('refused' in admitted) return { outcome: 'refused', message: admitted.refused }
    if (!proposal) return { outcome: 'unknown', message: 'custos does not know this proposal.' }
    if (proposal.status !== 'pending')
      return {
        outcome: 'refused',
        message: `This transaction is already ${proposal.status}.`,
        proposalId: proposal.id,
      }

    const { signer, actor } = admitted
    const who = `${signer.name} (${signer.address})`
    const key = `${p.channel}:${p.interactionId}`
    const escalation = await store.getEscalation(proposal.id)
    const details = { user: p.user.id, name: p.user.name, signer: signer.address, channel: p.channel }
    const action = { proposalId: proposal.id, actor, signer: signer.address, channel: p.channel }
    const stop = (e: Escalation | undefined): Escalation[] =>
      e && e.status === 'open' ? [{ ...e, status: 'acknowledged' }] : []
    let batch: WorkBatch
    let message: string
    switch (p.action) {
      case 'ack': {
        batch = {
          acks: [action],
          escalations: stop(escalation),
          outbox: await proposalUpdate(ctx, proposal, 'acknowledged', `acknowledged by ${who}`, `ack:${key}`),
          audit: [{ actor, action: 'acknowledged', subject: proposal.id, details }],
        }
        message = `Acknowledged as ${who}.`
        break
      }
      case 'veto': {
        // A veto request also acknowledges: somebody is on it. Sending the veto comes with the
        // acting stage; until then it is recorded and shown.
        const already = (await store.vetoRequestsFor(proposal.id)).some(
          (v) => v.signer.toLowerCase() === signer.address.toLowerCase(),
        )
        batch = {
          vetoRequests: already ? [] : [action],
          escalations: stop(escalation),
          outbox: await proposalUpdate(
            ctx,
            proposal,
            'veto-requested',
            `veto requested by ${who}`,
            `veto:${key}`,
          ),
          audit: [{ actor, action: 'veto-requested', subject: proposal.id, details }],
        }
        message = `Veto request recorded for ${signer.name}.`
        break
      }
      case 'escalate': {
        const policy = ladderFor(config, proposal.chainId, proposal.safe)
        const level = (proposal.level ?? 'high') as Level
        batch = {
          escalations: [escalateNow(escalation, proposal.id, level, policy, ctx.clock())],
          outbox: await proposalUpdate(ctx, proposal, 'escalated', `escalated by ${who}`, `escalate:${key}`),
          audit: [{ actor, action: 'escalation-requested', subject: proposal.id, details }],
        }
        message = 'Escalating now: the signers are called, and on-call is paged if nobody acknowledges.'
        break
      }
    }
    await ctx.commit(batch)
    if (p.action === 'escalate') hooks.wakeLadder()
    // A signer's veto runs the same executors as the policy's (within the kill switch and dry run).
    if (p.action === 'veto' && ctx.vetoer) {
      const outcome = await ctx.vetoer.veto(proposal, { kind: 'chat', actor })
      const what = proposal.id.includes(':safe:')
        ? `sign a rejection at nonce ${proposal.nonce} with the other signers`
        : 'cancel it through the guardian or the timelock canceller'
      message +=
        outcome.status === 'sent' || outcome.status === 'proposed'
          ? ` Veto ${outcome.status}: ${outcome.message}`
          : ` custos did not send a veto (${outcome.message}): ${what}.`
    }
    return { outcome: 'done', message, proposalId: proposal.id }
  }

  async function status(user: ChatUser, interactionId: string): Promise<CommandResult> {
    const admitted = await admit(user, interactionId, 'status', 'status')
    if ('duplicate' in admitted) return { ok: false, message: 'already handled', duplicate: true }
    if ('refused' in admitted) return { ok: false, message: admitted.refused }
    const s = hooks.status()
    const now = ctx.clock()
    const lines = [`**custos** watching ${config.safes.length} Safe(s)`]
    for (const name of s.expected) lines.push(`${s.ready.includes(name) ? '🟢' : '🟡'} ${name}`)
    for (const [name, h] of Object.entries(s.sources))
      if (h.failures)
        lines.push(
          `🔴 ${name}: ${h.failures} failures${h.lastError ? ` (${h.lastError.slice(0, 120)})` : ''}`,
        )
    for (const c of await store.cursors())
      if (c.source === 'safe-events')
        lines.push(`⛓️ chain ${c.chainId}: block ${c.value}, ${Math.round((now - c.updatedAt) / 1000)} s ago`)
    const pending = await store.pendingProposals(10)
    lines.push(
      `📋 ${pending.length ? `${pending.length}${pending.length === 10 ? '+' : ''} pending:` : 'no pending proposals'}`,
    )
    for (const p of pending) {
      const name = ctx.safe(p.chainId, p.safe as `0x${string}`)?.name ?? p.safe
      lines.push(`• ${name} · nonce ${p.nonce} · ${p.level ?? '?'} · \`${p.safeTxHash.slice(0, 10)}…\``)
    }
    for (const x of await store.activeSilences(now))
      lines.push(
        `🔕 ${x.target} silenced until ${new Date(x.until).toISOString()} by ${x.actor.split(' via ')[0]}`,
      )
    return { ok: true, message: lines.join('\n') }
  }

  async function report(user: ChatUser, interactionId: string, query: string): Promise<CommandResult> {
    const admitted = await admit(user, interactionId, 'report', query.slice(0, 100))
    if ('duplicate' in admitted) return { ok: false, message: 'already handled', duplicate: true }
    if ('refused' in admitted) return { ok: false, message: admitted.refused }
    const q = query.trim()
    let proposal: StoredProposal | undefined
    if (/^\d+$/.test(q)) {
      const r = await store.getReport(Number(q))
      proposal = r ? await store.getProposal(r.proposalId) : undefined
    } else if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
      for (const chainId of new Set(config.safes.map((s) => s.chainId))) {
        proposal ??= await store.findProposalByHash(chainId, q)
      }
    } else proposal = await store.getProposal(q)
    const latest = proposal ? await store.latestReport(proposal.id) : undefined
    if (!proposal || !latest) return { ok: false, message: `No report for ${q.slice(0, 80)}.` }
    const alert = latest.alert as OutboxPayload | undefined
    return {
      ok: true,
      message: `Report ${latest.id}: **${latest.level}** (score ${latest.score}), ${proposal.status}: ${ctx.publicUrl}/reports/${latest.id}`,
      ...(alert && isAlert(alert) ? { alert } : {}),
    }
  }

  /** Safes a target names: a configured name (any case) or an address, on every chain it is watched. */
  const targets = (target: string) =>
    config.safes.filter(
      (s) =>
        s.name.toLowerCase() === target.trim().toLowerCase() ||
        s.address.toLowerCase() === target.trim().toLowerCase(),
    )

  /** Admits a signer for every Safe the target names (a signer limited to some Safes is refused the rest). */
  async function admitFor(user: ChatUser, interactionId: string, action: string, target: string) {
    const safes = targets(target)
    const admitted = await admit(user, interactionId, action, target)
    if (!('signer' in admitted)) return { admitted, safes }
    for (const s of safes) {
      const who = signerFor(ctx, user, { chainId: s.chainId, address: s.address })
      if ('refused' in who) return { admitted: { refused: who.refused }, safes }
    }
    return { admitted, safes }
  }

  async function silence(
    user: ChatUser,
    interactionId: string,
    target: string,
    duration: string,
  ): Promise<CommandResult> {
    const { admitted, safes } = await admitFor(user, interactionId, 'silence', target)
    if ('duplicate' in admitted) return { ok: false, message: 'already handled', duplicate: true }
    if ('refused' in admitted) return { ok: false, message: admitted.refused }
    const ms = parseDuration(duration)
    if (ms === undefined)
      return { ok: false, message: `“${duration.slice(0, 20)}” is not a duration: use e.g. 30m, 2h or 1d.` }
    if (ms > MAX_SILENCE_MS) return { ok: false, message: 'A silence lasts at most 7 days.' }
    if (!safes.length) return { ok: false, message: `No watched Safe is called ${target.slice(0, 60)}.` }
    const until = ctx.clock() + ms
    await ctx.commit({
      silences: safes.map((s) => ({
        target: silenceKey(s.chainId, s.address),
        until,
        actor: admitted.actor,
      })),
      audit: safes.map((s) => ({
        actor: admitted.actor,
        action: 'silenced',
        subject: silenceKey(s.chainId, s.address),
        details: { until: new Date(until).toISOString(), user: user.id },
      })),
    })
    await silenceChanged(ctx, safes)
    hooks.wakeLadder()
    return {
      ok: true,
      message: `🔕 ${safes.map((s) => s.name).join(', ')} silenced until ${new Date(until).toISOString()} by ${admitted.signer.name}: alerts below critical are held, and sent when the silence ends; critical ones still go out and are chased.`,
    }
  }

  async function unsilence(user: ChatUser, interactionId: string, target: string): Promise<CommandResult> {
    const { admitted, safes } = await admitFor(user, interactionId, 'unsilence', target)
    if ('duplicate' in admitted) return { ok: false, message: 'already handled', duplicate: true }
    if ('refused' in admitted) return { ok: false, message: admitted.refused }
    if (!safes.length) return { ok: false, message: `No watched Safe is called ${target.slice(0, 60)}.` }
    await ctx.commit({
      silences: safes.map((s) => ({
        target: silenceKey(s.chainId, s.address),
        until: null,
        actor: admitted.actor,
      })),
      audit: safes.map((s) => ({
        actor: admitted.actor,
        action: 'unsilenced',
        subject: silenceKey(s.chainId, s.address),
        details: { user: user.id },
      })),
    })
    await silenceChanged(ctx, safes)
    hooks.wakeLadder()
    return {
      ok: true,
      message: `🔔 ${safes.map((s) => s.name).join(', ')} no longer silenced (${admitted.signer.name}).`,
    }
  }

  return { press, status, report, silence, unsilence }
}
