import type { Address, Hash } from 'viem'
import { safeProposalId } from '../model/proposal.js'
import { levelRank } from '../model/severity.js'
import type { WorkBatch } from '../model/store.js'
import { CUSTOS_GUARD_ADDRESS, custosGuardAbi } from '../respond/guard/contract.js'
import { scanLogs } from '../sources/scan.js'
import type { WatchContext, Work } from './context.js'
import type { Source } from './jobs.js'
import { rulesFor } from './policy.js'
import { safeAlerter } from './updates.js'

// The custos Guard's events for the watched Safes that run it, so that what is done on the guard
// outside custos is seen: a transaction someone schedules (with the owners' signatures they
// hold) is cancelled at once when custos judged it at the veto level; a guard change scheduled
// (the guard's removal or new settings) pages at once; an approval custos did not send (custos
// approves nothing yet) means the guardian key is used elsewhere.

const EVENTS = custosGuardAbi.filter(
  (i) => i.type === 'event' && ['Scheduled', 'Approved', 'Cancelled'].includes(i.name),
)

type GuardLog = {
  eventName: 'Scheduled' | 'Approved' | 'Cancelled'
  address: Address
  args: { safe?: Address; safeTxHash?: Hash; hash?: Hash; guardChange?: boolean; executableAt?: bigint }
  blockHash: Hash
  logIndex: number
  transactionHash: Hash
}

export function guardEventsSource(ctx: WatchContext, chainId: number): Source {
  const ev = ctx.config.sources.chainEvents
  const guarded = ctx.targets.ofKind('safe').filter((t) => t.chainId === chainId && t.guard)
  const guards = [...new Set(guarded.map((t) => t.guard?.address ?? CUSTOS_GUARD_ADDRESS))]
  const seen = new Set<string>()
  return {
    kind: 'guard-events',
    name: `guard-events:${chainId}`,
    chainId,
    everySeconds: ev.intervalSeconds,
    async *poll() {
      const cursor = await ctx.store.getCursor('guard-events', chainId)
      const client = ctx.client(chainId)
      for await (const range of scanLogs({
        client,
        cursor: cursor === undefined ? undefined : BigInt(cursor),
        reorgWindow: ev.reorgWindow,
        maxBlockRange: ev.maxBlockRange,
        read: async (from, to) =>
          (await client.getLogs({
            address: guards,
            events: EVENTS,
            fromBlock: from,
            toBlock: to,
          })) as unknown as GuardLog[],
      })) {
        const { work, acted } = await eventsWork(ctx, chainId, range.events, range.to, seen)
        yield work
        if (seen.size > 100_000) seen.clear()
        for (const id of acted) seen.add(id)
      }
    },
  }
}

async function eventsWork(
  ctx: WatchContext,
  chainId: number,
  logs: GuardLog[],
  to: bigint,
  seen: Set<string>,
): Promise<{ work: Work; acted: string[] }> {
  const batch: WorkBatch = {
    outbox: [],
    audit: [],
    cursors: [{ source: 'guard-events', chainId, value: to.toString() }],
  }
  const veto: string[] = []
  const acted: string[] = []
  const alert = safeAlerter(ctx, batch.outbox ?? [], chainId)
  for (const log of logs) {
    const safe = log.args.safe
    const target = safe ? ctx.targets.get(chainId, safe) : undefined
    // Only the Safes that run this guard with custos as guardian; the guard serves every Safe.
    if (!safe || !target?.guard) continue
    const id = `${log.blockHash}:${log.logIndex}`
    if (seen.has(id)) continue
    acted.push(id)
    const hash = (log.args.safeTxHash ?? log.args.hash) as Hash
    batch.audit?.push({
      actor: 'chain',
      action: `guard-${log.eventName.toLowerCase()}`,
      subject: safeProposalId(chainId, hash),
      details: { guard: log.address, tx: log.transactionHash },
    })
    if (log.eventName === 'Scheduled' && log.args.guardChange) {
      alert(
        'critical',
        safe,
        'guard change scheduled',
        `a change of the guard or of its settings (${hash}) was scheduled in ${log.transactionHash}; it can execute from ${new Date(Number(log.args.executableAt ?? 0n) * 1000).toISOString()} and the guardian cannot cancel it: if the owners did not mean it, reject it at its nonce`,
        `${chainId}:guard-change:${hash}`,
      )
    } else if (log.eventName === 'Scheduled') {
      const proposal = await ctx.store.getProposal(safeProposalId(chainId, hash))
      const vetoAt = rulesFor(ctx.config, target).vetoAt
      if (!proposal)
        alert(
          'high',
          safe,
          'unknown transaction scheduled',
          `${hash} was scheduled on the custos Guard in ${log.transactionHash}, a transaction custos never saw pending: it can execute after the delay unless it is cancelled`,
          `${chainId}:guard-scheduled:${hash}`,
        )
      else if (vetoAt && proposal.level && levelRank(proposal.level) >= levelRank(vetoAt))
        veto.push(proposal.id)
    } else if (log.eventName === 'Approved') {
      alert(
        'critical',
        safe,
        'approval custos did not send',
        `${hash} was approved on the custos Guard in ${log.transactionHash}, and custos sends no approvals: the guardian key is used elsewhere`,
        `${chainId}:guard-approved:${hash}`,
      )
    }
  }
  return { work: { batch, veto }, acted }
}
