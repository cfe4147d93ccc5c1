import { isAlert, type OutboxPayload } from '../model/alert.js'
import type { Level } from '../model/severity.js'
import type { Escalation, StoredProposal, WorkBatch } from '../model/store.js'
import type { Target } from '../model/target.js'
import {
  actorName,
  type ChatCommands,
  type ChatUser,
  type CommandResult,
  type Press,
  type PressResult,
} from '../respond/chat.js'
import { escalateNow } from '../respond/escalation.js'
import type { WatchContext } from './context.js'
import { ladderFor } from './policy.js'
import { replicaLines, replicasView } from './replicas.js'
import { parseDuration, silenceChanged } from './silences.js'
import { proposalName, proposalUpdate } from './updates.js'

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
    target?: { chainId: number; address: string },
  ) {
    if (!(await store.claimInteraction(`${user.channel}:${interactionId}`)))
      return { duplicate: true as const }
    const who = signerFor(ctx, user, target)
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
      proposal ? { chainId: proposal.chainId, address: proposal.target.address } : undefined,
    )
    if ('duplicate' in admitted) return { outcome: 'duplicate', message: '' }
    if ('refused' in admitted) return { outcome: 'refused', message: admitted.refused }
    if (!proposal) return { outcome: 'unknown', message: 'custos does not know this proposal.' }
    if (proposal.status !== 'pending')
      return {
        outcome: 'refused',
        message: `This proposal is already ${proposal.status}.`,
        proposalId: proposal.id,
      }
    // A protocol check's episode has no transaction to veto; its action is the protocol's pause.
    const check = proposal.origin.kind === 'check'
    if (p.action === 'veto' && check)
      return {
        outcome: 'refused',
        message: 'This is a protocol check: there is nothing to veto.',
        proposalId: proposal.id,
      }
    if (p.action === 'approve' && !ctx.targets.get(proposal.chainId, proposal.target.address)?.guard)
      return {
        outcome: 'refused',
        message: 'This Safe does not run the custos Guard: there is nothing to approve.',
        proposalId: proposal.id,
      }
    if (p.action === 'pause' && !(proposal.origin.kind === 'check' && proposal.origin.pause))
      return { outcome: 'refused', message: 'There is no pause to send for this.', proposalId: proposal.id }

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
      case 'veto':
      case 'pause': {
        // A veto (or pause) request also acknowledges: somebody is on it. It is recorded and
        // shown, then sent within the kill switch, the dry run and the rate limits.
        const what = p.action === 'pause' ? 'pause' : 'veto'
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
            `${what} requested by ${who}`,
            `veto:${key}`,
          ),
          audit: [{ actor, action: `${what}-requested`, subject: proposal.id, details }],
        }
        message = `${what === 'pause' ? 'Pause' : 'Veto'} request recorded for ${signer.name}.`
        break
      }
      case 'approve': {
        // An approval request also acknowledges: a signer looked and wants it to run now.
        batch = {
          acks: [action],
          escalations: stop(escalation),
          outbox: await proposalUpdate(
            ctx,
            proposal,
            'acknowledged',
            `approval requested by ${who}`,
            `approve:${key}`,
          ),
          audit: [{ actor, action: 'approve-requested', subject: proposal.id, details }],
        }
        message = `Approval request recorded for ${signer.name}.`
        break
      }
      case 'escalate': {
        const policy = ladderFor(config, ctx.targets.get(proposal.chainId, proposal.target.address))
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
    if (p.action === 'pause' && ctx.vetoer) {
      const outcome = await ctx.vetoer.veto(proposal, { kind: 'chat', actor })
      message +=
        outcome.status === 'sent'
          ? ` Pause sent: ${outcome.message}`
          : ` custos did not send the pause (${outcome.message}).`
    }
    if (p.action === 'approve' && ctx.vetoer) {
      const outcome = await ctx.vetoer.guard(proposal, 'approve', { kind: 'chat', actor })
      message +=
        outcome.status === 'sent'
          ? ` ${outcome.message}`
          : ` custos did not approve it on the guard (${outcome.message}).`
    }
    if (p.action === 'veto' && ctx.vetoer) {
      const outcome = await ctx.vetoer.veto(proposal, { kind: 'chat', actor })
      const what =
        proposal.target.kind === 'safe'
          ? `sign a rejection at nonce ${proposal.key} with the other signers`
          : proposal.target.kind === 'governor'
            ? 'cancel it through the proposal guardian'
            : 'cancel it through the timelock canceller'
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
    const count = (kind: Target['kind'], one: string) => {
      const n = ctx.targets.ofKind(kind).length
      return n ? [`${n} ${one}${n === 1 ? '' : 's'}`] : []
    }
    const watching = [
      ...count('safe', 'Safe'),
      ...count('governor', 'governor'),
      ...count('timelock', 'timelock'),
      ...count('protocol', 'protocol'),
    ]
    const lines = [`**custos** watching ${watching.join(', ') || 'nothing'}`]
    for (const name of s.expected) lines.push(`${s.ready.includes(name) ? '🟢' : '🟡'} ${name}`)
    for (const [name, h] of Object.entries(s.sources))
      if (h.failures)
        lines.push(
          `🔴 ${name}: ${h.failures} failures${h.lastError ? ` (${h.lastError.slice(0, 120)})` : ''}`,
        )
    const replicas = await replicasView(store)
    if (replicas) lines.push(...replicaLines(replicas, ctx.cluster?.id))
    const scans: Record<string, string> = {
      'safe-events': 'Safe events',
      'governance-events': 'governance events',
    }
    for (const c of await store.cursors())
      if (scans[c.source])
        lines.push(
          `⛓️ chain ${c.chainId}: block ${c.value}, ${Math.round((now - c.updatedAt) / 1000)} s ago (${scans[c.source]})`,
        )
    const pending = await store.pendingProposals(10)
    lines.push(
      `📋 ${pending.length ? `${pending.length}${pending.length === 10 ? '+' : ''} pending:` : 'no pending proposals'}`,
    )
    for (const p of pending) lines.push(`• ${proposalName(ctx, p)} · ${p.level ?? '?'} · \`${p.ref}\``)
    for (const x of await store.activeSilences(now)) {
      const t = ctx.targets.all.find((t) => t.key === x.target)
      lines.push(
        `🔕 ${t?.name ?? x.target} silenced until ${new Date(x.until).toISOString()} by ${x.actor.split(' via ')[0]}`,
      )
    }
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
    }
    // A Safe transaction's hash, a timelock operation id, a governor's proposal id, or an id.
    proposal ??= (await store.lookupProposals(q))[0]
    const latest = proposal ? await store.latestReport(proposal.id) : undefined
    if (!proposal || !latest) return { ok: false, message: `No report for ${q.slice(0, 80)}.` }
    const alert = latest.alert as OutboxPayload | undefined
    return {
      ok: true,
      message: `Report ${latest.id}: **${latest.level}** (score ${latest.score}), ${proposal.status}: ${ctx.publicUrl}/reports/${latest.id}`,
      ...(alert && isAlert(alert) ? { alert } : {}),
    }
  }

  /** Admits a signer for every target the text names (a signer limited to some targets is refused the rest). */
  async function admitFor(user: ChatUser, interactionId: string, action: string, target: string) {
    const named = ctx.targets.named(target)
    const admitted = await admit(user, interactionId, action, target)
    if (!('signer' in admitted)) return { admitted, named }
    for (const t of named) {
      const who = signerFor(ctx, user, t)
      if ('refused' in who) return { admitted: { refused: who.refused }, named }
    }
    return { admitted, named }
  }

  async function silence(
    user: ChatUser,
    interactionId: string,
    target: string,
    duration: string,
  ): Promise<CommandResult> {
    const { admitted, named } = await admitFor(user, interactionId, 'silence', target)
    if ('duplicate' in admitted) return { ok: false, message: 'already handled', duplicate: true }
    if ('refused' in admitted) return { ok: false, message: admitted.refused }
    const ms = parseDuration(duration)
    if (ms === undefined)
      return { ok: false, message: `“${duration.slice(0, 20)}” is not a duration: use e.g. 30m, 2h or 1d.` }
    if (ms > MAX_SILENCE_MS) return { ok: false, message: 'A silence lasts at most 7 days.' }
    if (!named.length) return { ok: false, message: `custos watches nothing called ${target.slice(0, 60)}.` }
    const until = ctx.clock() + ms
    await ctx.commit({
      silences: named.map((t) => ({
        target: t.key,
        until,
        actor: admitted.actor,
      })),
      audit: named.map((t) => ({
        actor: admitted.actor,
        action: 'silenced',
        subject: t.key,
        details: { until: new Date(until).toISOString(), user: user.id },
      })),
    })
    await silenceChanged(ctx, named)
    hooks.wakeLadder()
    return {
      ok: true,
      message: `🔕 ${named.map((t) => t.name).join(', ')} silenced until ${new Date(until).toISOString()} by ${admitted.signer.name}: alerts below critical are held, and sent when the silence ends; critical ones still go out and are chased.`,
    }
  }

  async function unsilence(user: ChatUser, interactionId: string, target: string): Promise<CommandResult> {
    const { admitted, named } = await admitFor(user, interactionId, 'unsilence', target)
    if ('duplicate' in admitted) return { ok: false, message: 'already handled', duplicate: true }
    if ('refused' in admitted) return { ok: false, message: admitted.refused }
    if (!named.length) return { ok: false, message: `custos watches nothing called ${target.slice(0, 60)}.` }
    await ctx.commit({
      silences: named.map((t) => ({
        target: t.key,
        until: null,
        actor: admitted.actor,
      })),
      audit: named.map((t) => ({
        actor: admitted.actor,
        action: 'unsilenced',
        subject: t.key,
        details: { user: user.id },
      })),
    })
    await silenceChanged(ctx, named)
    hooks.wakeLadder()
    return {
      ok: true,
      message: `🔔 ${named.map((t) => t.name).join(', ')} no longer silenced (${admitted.signer.name}).`,
    }
  }

  return { press, status, report, silence, unsilence }
}

/** The signer a chat user acts for (on this target, when given), or why they may not act. */
export function signerFor(
  ctx: Pick<WatchContext, 'config' | 'targets'>,
  user: ChatUser,
  target?: { chainId: number; address: string },
): { signer: { name: string; address: string } } | { refused: string } {
  const s = ctx.config.signers.find((x) =>
    user.channel === 'discord' ? x.discord === user.id : String(x.telegram ?? '') === user.id,
  )
  if (!s) return { refused: 'Only the signers listed in custos’s configuration can do this.' }
  const role = user.channel === 'discord' ? ctx.config.notify.discord?.signerRole : undefined
  if (role && !(user.roles ?? []).includes(role))
    return { refused: 'You are a listed signer, but you lack the signer role on this server.' }
  if (target && s.safes && !s.safes.some((a) => a.toLowerCase() === target.address.toLowerCase()))
    return {
      refused: `${s.name} is not a signer for ${ctx.targets.get(target.chainId, target.address)?.name ?? target.address}.`,
    }
  return { signer: { name: s.name, address: s.address } }
}
