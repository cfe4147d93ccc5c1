import type { Address } from 'viem'
import type { Alert, EscalationNotice, ProposalUpdate, UpdateEvent } from '../model/alert.js'
import { type Level, levelRank } from '../model/severity.js'
import type { Escalation, StoredProposal, WorkBatch } from '../model/store.js'
import { describeKey } from '../model/target.js'
import type { ChatStore } from '../respond/chat.js'
import { eventAlert } from '../respond/events.js'
import type { WatchContext } from './context.js'

// What goes to which channel: alerts to every channel whose minimum level they reach, ladder
// notices where they are taken, and updates about a proposal only where it was told.

type Outbox = NonNullable<WorkBatch['outbox']>

/** One outbox row per channel whose minimum level the alert reaches (the same dedup key on each). */
export function fanOut(ctx: Pick<WatchContext, 'notifiers'>, alert: Alert): Outbox {
  return ctx.notifiers
    .filter((n) => levelRank(alert.level) >= levelRank(n.minLevel))
    .map((n) => ({ channel: n.channel, dedupKey: alert.dedupKey, payload: alert }))
}

/**
 * A source's alert about a watched Safe, titled with the Safe's configured name, added to `outbox`
 * for every channel its level reaches (the chain event sources raise these).
 */
export function safeAlerter(
  ctx: Pick<WatchContext, 'notifiers' | 'targets' | 'clock'>,
  outbox: Outbox,
  chainId: number,
) {
  return (level: Level, safe: Address, title: string, summary: string, dedupKey: string) =>
    outbox.push(
      ...fanOut(
        ctx,
        eventAlert({
          level,
          title: `${ctx.targets.get(chainId, safe)?.name ?? safe} · ${title}`,
          summary,
          dedupKey,
          chainId,
          safe,
          now: ctx.clock(),
        }),
      ),
    )
}

/**
 * An escalation notice for every channel that takes it: mentions only where the alert's level
 * reaches the channel's minimum, pages wherever pages go (that is their point).
 */
export function fanOutNotice(ctx: Pick<WatchContext, 'notifiers'>, notice: EscalationNotice): Outbox {
  return ctx.notifiers
    .filter(
      (n) =>
        n.accepts?.(notice) && (notice.stage === 'page' || levelRank(notice.level) >= levelRank(n.minLevel)),
    )
    .map((n) => ({ channel: n.channel, dedupKey: notice.dedupKey, payload: notice }))
}

/** How people read a proposal: `Treasury nonce 12`, `Lab DAO proposal 42`, `Timelock operation 0x1234…`. */
export function proposalName(
  ctx: Pick<WatchContext, 'targets'>,
  p: Pick<StoredProposal, 'chainId' | 'target' | 'key'>,
): string {
  const name = ctx.targets.get(p.chainId, p.target.address)?.name ?? p.target.address
  return `${name} ${describeKey(p.target.kind, p.key)}`
}

/**
 * An update about a proposal, for the channels that were told about it and take updates: a
 * routine transaction's execution is news to nobody, and a page is resolved where it was raised.
 */
export async function proposalUpdate(
  ctx: Pick<WatchContext, 'notifiers' | 'clock' | 'targets' | 'store'>,
  proposal: Pick<StoredProposal, 'id' | 'ref' | 'chainId' | 'target' | 'key'>,
  event: UpdateEvent,
  text: string,
  key: string = event,
): Promise<Outbox> {
  const update: ProposalUpdate = {
    kind: 'update',
    proposalId: proposal.id,
    ref: proposal.ref,
    event,
    // Named, for channels that can only post this one line (Slack, a webhook).
    text: `${proposalName(ctx, proposal)}: ${text}`,
    resolves: event !== 'escalated' && event !== 'scheduled',
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
  event: Extract<
    UpdateEvent,
    'executed' | 'failed' | 'replaced' | 'deleted' | 'vetoed' | 'cleared' | 'resolved'
  >,
  text: string,
): Promise<{ escalations?: Escalation[]; outbox: Outbox }> {
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
      return {
        status: p?.status,
        acks,
        vetoRequests,
        vetoes,
        ...(p?.origin.kind === 'check' ? { check: true } : {}),
      }
    },
    messages: (proposalId, channel) => ctx.store.messagesFor(proposalId, channel),
  }
}
