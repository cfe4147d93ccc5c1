import {
  type Alert,
  isAlert,
  type OutboxPayload,
  type ProposalUpdate,
  type UpdateEvent,
} from '../model/alert.js'
import type { Level } from '../model/severity.js'
import {
  actorName,
  type ChatCommands,
  type ChatStore,
  type ChatUser,
  type CommandResult,
  type Press,
  type PressResult,
} from '../respond/chat.js'
import { escalateNow } from '../respond/escalation.js'
import type { Escalation, StoredProposal, WorkBatch } from '../store/types.js'
import type { WatchContext } from './context.js'
import { ladderFor } from './escalation.js'

/** The most a chat silence can last: a forgotten silence must not mute a Safe for good. */
const MAX_SILENCE_MS = 7 * 24 * 3600_000

/** One outbox row per channel that takes this update or notice (alerts go by level: `fanOut`). */
export function fanOutNotice(
  ctx: Pick<WatchContext, 'notifiers'>,
  payload: Exclude<OutboxPayload, Alert>,
): NonNullable<WorkBatch['outbox']> {
  return ctx.notifiers
    .filter((n) => n.accepts?.(payload))
    .map((n) => ({ channel: n.channel, dedupKey: payload.dedupKey, payload }))
}

/** An update about a proposal for every channel that takes it. */
export function proposalUpdate(
  ctx: Pick<WatchContext, 'notifiers' | 'clock' | 'safe'>,
  proposal: Pick<StoredProposal, 'id' | 'ref' | 'chainId' | 'safe' | 'nonce'>,
  event: UpdateEvent,
  text: string,
  key: string = event,
): NonNullable<WorkBatch['outbox']> {
  const resolves = event !== 'escalated'
  const update: ProposalUpdate = {
    kind: 'update',
    proposalId: proposal.id,
    ref: proposal.ref,
    event,
    // Named, for channels that can only post this one line (Slack, a webhook).
    text: `${ctx.safe(proposal.chainId, proposal.safe as `0x${string}`)?.name ?? proposal.safe} nonce ${proposal.nonce}: ${text}`,
    resolves,
    dedupKey: `${proposal.id}:update:${key}`,
    createdAt: new Date(ctx.clock()).toISOString(),
  }
  return fanOutNotice(ctx, update)
}

/**
 * What a proposal that is no longer pending (executed, failed, replaced, deleted) adds to its
 * batch: the ladder stops, pages are resolved, and chat messages are redrawn without buttons.
 */
export async function closeProposal(
  ctx: WatchContext,
  proposal: StoredProposal,
  event: Extract<UpdateEvent, 'executed' | 'failed' | 'replaced' | 'deleted' | 'vetoed'>,
  text: string,
): Promise<{ escalations?: Escalation[]; outbox: NonNullable<WorkBatch['outbox']> }> {
  const esc = await ctx.store.getEscalation(proposal.id)
  return {
    ...(esc && esc.status !== 'closed' ? { escalations: [{ ...esc, status: 'closed' as const }] } : {}),
    outbox: proposalUpdate(ctx, proposal, event, text),
  }
}

/** The store as the chat channels read it. */
export function chatStore(ctx: Pick<WatchContext, 'store'>): ChatStore {
  return {
    async state(proposalId) {
      const [p, acks, vetoRequests] = await Promise.all([
        ctx.store.getProposal(proposalId),
        ctx.store.acksFor(proposalId),
        ctx.store.vetoRequestsFor(proposalId),
      ])
      return { status: p?.status, acks, vetoRequests }
    },
    messages: (proposalId, channel) => ctx.store.messagesFor(proposalId, channel),
  }
}

/** The signer a chat user acts for, or why they may not act. */
export function signerFor(
  ctx: Pick<WatchContext, 'config'>,
  user: ChatUser,
): { signer: { name: string; address: string } } | { refused: string } {
  const s = ctx.config.signers.find((x) =>
    user.channel === 'discord' ? x.discord === user.id : String(x.telegram ?? '') === user.id,
  )
  if (!s) return { refused: 'Only the signers listed in custos’s configuration can do this.' }
  const role = user.channel === 'discord' ? ctx.config.notify.discord?.signerRole : undefined
  if (role && !(user.roles ?? []).includes(role))
    return { refused: 'You are a listed signer, but you lack the signer role on this server.' }
  return { signer: { name: s.name, address: s.address } }
}

export type ChatHooks = {
  /** What `/custos status` shows of the sources. */
  status(): {
    ready: string[]
    expected: string[]
    sources: Record<string, { failures: number; lastError?: string }>
  }
  /** The ladder should look at its rows now (after an Escalate press). */
  wakeLadder(): void
}

/** The chat commands and button presses, checked against the signer map and audited. */
export function createChatCommands(ctx: WatchContext, hooks: ChatHooks): ChatCommands {
  const { store, config } = ctx

  /** Checks, in order: a replay, the signer map. Refusals are audited too. */
  async function admit(user: ChatUser, interactionId: string, action: string, subject: string) {
    if (!(await store.claimInteraction(`${user.channel}:${interactionId}`)))
      return { duplicate: true as const }
    const who = signerFor(ctx, user)
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
    const admitted = await admit(user, p.interactionId, p.action, p.ref)
    if ('duplicate' in admitted) return { outcome: 'duplicate', message: '' }
    if ('refused' in admitted) return { outcome: 'refused', message: admitted.refused }
    const proposal = await store.proposalByRef(p.ref)
    if (!proposal) return { outcome: 'unknown', message: 'custos does not know this proposal.' }
    if (proposal.status !== 'pending')
      return {
        outcome: 'refused',
        message: `This transaction is already ${proposal.status}.`,
        proposalId: proposal.id,
      }

    const { signer, actor } = admitted
    const now = ctx.clock()
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
          outbox: proposalUpdate(
            ctx,
            proposal,
            'acknowledged',
            `acknowledged by ${signer.name} (${signer.address})`,
            `ack:${signer.address}`,
          ),
          audit: [{ actor, action: 'acknowledged', subject: proposal.id, details }],
        }
        message = `Acknowledged as ${signer.name} (${signer.address}).`
        break
      }
      case 'veto': {
        // A veto request also acknowledges: somebody is on it. Sending the veto comes with the
        // acting stage; until then it is recorded and shown.
        batch = {
          vetoRequests: [action],
          escalations: stop(escalation),
          outbox: proposalUpdate(
            ctx,
            proposal,
            'veto-requested',
            `veto requested by ${signer.name} (${signer.address})`,
            `veto:${signer.address}`,
          ),
          audit: [{ actor, action: 'veto-requested', subject: proposal.id, details }],
        }
        message = `Veto request recorded for ${signer.name}. custos does not send vetoes yet: sign a rejection at nonce ${proposal.nonce} with the other signers.`
        break
      }
      case 'escalate': {
        const policy = ladderFor(config, proposal.chainId, proposal.safe)
        batch = {
          escalations: [
            escalateNow(escalation, proposal.id, (proposal.level ?? 'high') as Level, policy, now),
          ],
          outbox: proposalUpdate(
            ctx,
            proposal,
            'escalated',
            `escalated by ${signer.name} (${signer.address})`,
            `escalate:${now}`,
          ),
          audit: [{ actor, action: 'escalation-requested', subject: proposal.id, details }],
        }
        message = 'Escalating now: the signers are called and on-call is paged.'
        break
      }
    }
    await ctx.commit(batch)
    if (p.action === 'escalate') hooks.wakeLadder()
    return { outcome: 'done', message, proposalId: proposal.id }
  }

  async function status(): Promise<string> {
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
    return lines.join('\n')
  }

  async function report(query: string): Promise<CommandResult> {
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

  async function silence(
    user: ChatUser,
    interactionId: string,
    target: string,
    duration: string,
  ): Promise<CommandResult> {
    const admitted = await admit(user, interactionId, 'silence', target)
    if ('duplicate' in admitted) return { ok: false, message: 'already handled' }
    if ('refused' in admitted) return { ok: false, message: admitted.refused }
    const ms = parseDuration(duration)
    if (ms === undefined)
      return { ok: false, message: `“${duration.slice(0, 20)}” is not a duration: use e.g. 30m, 2h or 1d.` }
    if (ms > MAX_SILENCE_MS) return { ok: false, message: 'A silence lasts at most 7 days.' }
    const safes = targets(target)
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
    return {
      ok: true,
      message: `🔕 ${safes.map((s) => s.name).join(', ')} silenced until ${new Date(until).toISOString()} by ${admitted.signer.name}: alerts below critical are stored, not sent; critical ones still go out and are chased.`,
    }
  }

  async function unsilence(user: ChatUser, interactionId: string, target: string): Promise<CommandResult> {
    const admitted = await admit(user, interactionId, 'unsilence', target)
    if ('duplicate' in admitted) return { ok: false, message: 'already handled' }
    if ('refused' in admitted) return { ok: false, message: admitted.refused }
    const safes = targets(target)
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
    return {
      ok: true,
      message: `🔔 ${safes.map((s) => s.name).join(', ')} no longer silenced (${admitted.signer.name}).`,
    }
  }

  return { press, status, report, silence, unsilence }
}

export const silenceKey = (chainId: number, safe: string) => `${chainId}:${safe.toLowerCase()}`

/** When a Safe's silence ends (ms), if it is silenced now. */
export async function silencedUntil(
  ctx: Pick<WatchContext, 'store' | 'clock'>,
  chainId: number,
  safe: string,
) {
  const key = silenceKey(chainId, safe)
  return (await ctx.store.activeSilences(ctx.clock())).find((s) => s.target === key)?.until
}

/** `30m`, `2h`, `1d`, `45s` in ms; undefined when unreadable. */
export function parseDuration(s: string): number | undefined {
  const m = /^\s*(\d{1,6})\s*(s|m|h|d)\s*$/i.exec(s)
  if (!m) return undefined
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] as string).toLowerCase() as 's']
  const ms = Number(m[1]) * unit
  return ms > 0 ? ms : undefined
}
