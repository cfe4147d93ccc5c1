import type { EscalationNotice, ProposalUpdate, UpdateEvent } from '../model/alert.js'
import { levelRank } from '../model/severity.js'
import type { ChatStore, ChatUser } from '../respond/chat.js'
import type { Escalation, StoredProposal, WorkBatch } from '../store/types.js'
import { safeKey, type WatchContext } from './context.js'

/**
 * An escalation notice for every channel that takes it: mentions only where the alert's level
 * reaches the channel's minimum, pages wherever pages go (that is their point).
 */
export function fanOutNotice(
  ctx: Pick<WatchContext, 'notifiers'>,
  notice: EscalationNotice,
): NonNullable<WorkBatch['outbox']> {
  return ctx.notifiers
    .filter(
      (n) =>
        n.accepts?.(notice) && (notice.stage === 'page' || levelRank(notice.level) >= levelRank(n.minLevel)),
    )
    .map((n) => ({ channel: n.channel, dedupKey: notice.dedupKey, payload: notice }))
}

/**
 * An update about a proposal, for the channels that were told about it and take updates: a
 * routine transaction's execution is news to nobody, and a page is resolved where it was raised.
 */
export async function proposalUpdate(
  ctx: Pick<WatchContext, 'notifiers' | 'clock' | 'safe' | 'store'>,
  proposal: Pick<StoredProposal, 'id' | 'ref' | 'chainId' | 'safe' | 'nonce'>,
  event: UpdateEvent,
  text: string,
  key: string = event,
): Promise<NonNullable<WorkBatch['outbox']>> {
  const update: ProposalUpdate = {
    kind: 'update',
    proposalId: proposal.id,
    ref: proposal.ref,
    event,
    // Named, for channels that can only post this one line (Slack, a webhook).
    text: `${ctx.safe(proposal.chainId, proposal.safe as `0x${string}`)?.name ?? proposal.safe} nonce ${proposal.nonce}: ${text}`,
    resolves: event !== 'escalated',
    dedupKey: `${proposal.id}:update:${key}`,
    createdAt: new Date(ctx.clock()).toISOString(),
  }
  const told = new Set(await ctx.store.channelsFor(proposal.id))
  return ctx.notifiers
    .filter((n) => told.has(n.channel) && n.accepts?.(update))
    .map((n) => ({ channel: n.channel, dedupKey: update.dedupKey, payload: update }))
}

/**
 * What a proposal that no longer needs anyone (executed, failed, replaced, deleted, or its risk
 * fell) adds to its batch: the ladder stops, pages are resolved, messages lose their buttons.
 */
export async function closeProposal(
  ctx: WatchContext,
  proposal: StoredProposal,
  event: Extract<UpdateEvent, 'executed' | 'failed' | 'replaced' | 'deleted' | 'vetoed' | 'cleared'>,
  text: string,
): Promise<{ escalations?: Escalation[]; outbox: NonNullable<WorkBatch['outbox']> }> {
  const esc = await ctx.store.getEscalation(proposal.id)
  return {
    ...(esc && esc.status !== 'closed' ? { escalations: [{ ...esc, status: 'closed' as const }] } : {}),
    outbox: await proposalUpdate(ctx, proposal, event, text),
  }
}

/** The store as the chat channels read it. */
export function chatStore(ctx: Pick<WatchContext, 'store'>): ChatStore {
  return {
    async state(proposalId) {
      const [p, acks, vetoRequests, vetoes] = await Promise.all([
        ctx.store.getProposal(proposalId),
        ctx.store.acksFor(proposalId),
        ctx.store.vetoRequestsFor(proposalId),
        ctx.store.vetoOutcomes(proposalId),
      ])
      return { status: p?.status, acks, vetoRequests, vetoes }
    },
    messages: (proposalId, channel) => ctx.store.messagesFor(proposalId, channel),
  }
}

/** The signer a chat user acts for (on this Safe, when given), or why they may not act. */
export function signerFor(
  ctx: Pick<WatchContext, 'config'>,
  user: ChatUser,
  safe?: { chainId: number; address: string },
): { signer: { name: string; address: string } } | { refused: string } {
  const s = ctx.config.signers.find((x) =>
    user.channel === 'discord' ? x.discord === user.id : String(x.telegram ?? '') === user.id,
  )
  if (!s) return { refused: 'Only the signers listed in custos’s configuration can do this.' }
  const role = user.channel === 'discord' ? ctx.config.notify.discord?.signerRole : undefined
  if (role && !(user.roles ?? []).includes(role))
    return { refused: 'You are a listed signer, but you lack the signer role on this server.' }
  if (safe && s.safes && !s.safes.some((a) => a.toLowerCase() === safe.address.toLowerCase()))
    return { refused: `${s.name} is not a signer for this Safe.` }
  return { signer: { name: s.name, address: s.address } }
}

export const silenceKey = (chainId: number, safe: string) => safeKey(chainId, safe)

/** When a Safe's silence ends (ms), if it is silenced now. */
export async function silencedUntil(
  ctx: Pick<WatchContext, 'store' | 'clock'>,
  chainId: number,
  safe: string,
) {
  const key = silenceKey(chainId, safe)
  return (await ctx.store.activeSilences(ctx.clock())).find((s) => s.target === key)?.until
}

/**
 * A silence began, changed or ended on these Safes: their pending proposals are judged again
 * (the epoch is part of every fingerprint), so one stored without an alert while silenced is
 * alerted now, and their held ladders look at the silence again at once.
 */
export async function silenceChanged(ctx: WatchContext, safes: Array<{ chainId: number; address: string }>) {
  const now = ctx.clock()
  const escalations: Escalation[] = []
  for (const s of safes) {
    const key = safeKey(s.chainId, s.address)
    ctx.epoch.set(key, (ctx.epoch.get(key) ?? 0) + 1)
    for (const p of await ctx.store.proposalsBySafe(s.chainId, s.address, 'pending')) {
      const e = await ctx.store.getEscalation(p.id)
      if (e?.status === 'open' && e.nextAt > now) escalations.push({ ...e, nextAt: now })
    }
  }
  if (escalations.length) await ctx.commit({ escalations })
}

/** `30m`, `2h`, `1d`, `45s` in ms; undefined when unreadable. */
export function parseDuration(s: string): number | undefined {
  const m = /^\s*(\d{1,6})\s*(s|m|h|d)\s*$/i.exec(s)
  if (!m) return undefined
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] as string).toLowerCase() as 's']
  const ms = Number(m[1]) * unit
  return ms > 0 ? ms : undefined
}
