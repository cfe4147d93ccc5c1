import { createHash } from 'node:crypto'
import type { Address } from 'viem'
import { proposalId } from '../model/proposal.js'
import { errorText } from '../model/redact.js'
import type { GovernanceReport } from '../model/report.js'
import type { StoredProposal } from '../model/store.js'
import { summaryFromReportJson } from '../score/simulation-summary.js'
import { type GovernanceEvent, groupScheduled, readGovernanceEvents } from '../sources/governance.js'
import { scanLogs } from '../sources/scan.js'
import { inspectEnv, mergeWork, noWork, type WatchContext, type Work } from './context.js'
import { inspect } from './inspect.js'
import { type GovernanceItem, governorItem, timelockItem } from './inspect-governance.js'
import type { Source } from './jobs.js'
import { type Judgement, judge } from './judge.js'
import { closeProposal } from './updates.js'

// Governance in the watch loop: the watched governors' and timelocks' events are followed from
// a persisted cursor (committed with the work for its blocks, as for Safes); each new proposal
// or scheduled operation is inspected from its own events and judged on the one judge path;
// pending ones are simulated again on a schedule, more often as their ETA nears.

/** The events of one chain's watched governors and timelocks. */
export function governanceEventsSource(ctx: WatchContext, chainId: number): Source {
  const cfg = ctx.config.sources.governance
  const ev = ctx.config.sources.chainEvents
  const watched = ctx.targets.ofKind('governor', 'timelock').filter((t) => t.chainId === chainId)
  return {
    kind: 'governance',
    name: `governance:${chainId}`,
    label: `governance events on chain ${chainId} (${watched.map((t) => t.name).join(', ')})`,
    chainId,
    everySeconds: cfg.intervalSeconds,
    async *poll() {
      const cursor = await ctx.store.getCursor('governance-events', chainId)
      const client = ctx.client(chainId)
      for await (const range of scanLogs({
        client,
        cursor: cursor === undefined ? undefined : BigInt(cursor),
        reorgWindow: ev.reorgWindow,
        maxBlockRange: ev.maxBlockRange,
        read: (from, to) =>
          readGovernanceEvents(
            client,
            watched.map((t) => t.address),
            from,
            to,
            ev.maxBlockRange,
          ),
      }))
        yield await eventsWork(ctx, chainId, range.events, range.to)
    },
  }
}

/** The proposal an execution or cancellation event ends, if it is one. */
function endOf(chainId: number, e: GovernanceEvent): { id: string; executed: boolean } | undefined {
  if (e.kind === 'proposal-executed' || e.kind === 'proposal-canceled')
    return {
      id: `${chainId}:governor:${e.governor.toLowerCase()}:${e.proposalId}`,
      executed: e.kind === 'proposal-executed',
    }
  if (e.kind === 'call-executed' || e.kind === 'cancelled')
    return {
      id: `${chainId}:timelock:${e.timelock.toLowerCase()}:${e.operationId.toLowerCase()}`,
      executed: e.kind === 'call-executed',
    }
  return undefined
}

/** The work the events of blocks up to `to` cause, with the cursor `to`, as one commit. */
async function eventsWork(ctx: WatchContext, chainId: number, events: GovernanceEvent[], to: bigint) {
  const work: Work = {
    batch: { cursors: [{ source: 'governance-events', chainId, value: to.toString() }] },
    veto: [],
  }
  const is = (kind: 'governor' | 'timelock', a: Address) => ctx.targets.get(chainId, a)?.kind === kind
  // What these same blocks already ended: created and ended within one scan (a catch-up, a fast
  // timelock), it is stored closed and alerted as what already happened, not as new.
  const ends = new Map<string, { executed: boolean; tx: string }>()
  for (const e of events) {
    const end = endOf(chainId, e)
    if (end) ends.set(end.id, { executed: end.executed, tx: e.transactionHash })
  }
  const endedOf = (id: string): Judgement['ended'] => {
    const end = ends.get(id)
    if (!end) return undefined
    return end.executed
      ? { status: 'executed', text: `executed (${end.tx})` }
      : { status: 'deleted', text: `cancelled (${end.tx})` }
  }

  // What is new: a creation (a ProposalCreated, a timelock's CallScheduled batch) or a queueing
  // that gave a stored proposal its ETA.
  const items: Array<{ item: GovernanceItem; queued?: true }> = []
  for (const e of events) {
    if (e.kind === 'proposal-created' && is('governor', e.governor)) items.push({ item: governorItem(e) })
    if (e.kind === 'proposal-queued' && is('governor', e.governor)) {
      // The ETA is known now: judge again (the simulation, the state), from what was stored.
      const stored = await ctx.store.getProposal(
        `${chainId}:governor:${e.governor.toLowerCase()}:${e.proposalId}`,
      )
      if (stored?.origin.kind === 'governor' && stored.origin.eta !== e.eta)
        items.push({ item: { origin: { ...stored.origin, eta: e.eta }, calls: stored.calls }, queued: true })
    }
  }
  for (const op of groupScheduled(events))
    if (is('timelock', op.timelock)) items.push({ item: timelockItem(op) })
  for (const { item, queued } of items) {
    const id = proposalId(chainId, item.origin)
    const ended = endedOf(id)
    // Known already: a creation read again in the reorg window is not news (re-simulation has
    // its own schedule), and one that ends here is closed below, like any proposal that ends.
    if ((ended || !queued) && (await ctx.store.getProposal(id))) continue
    if (ended) ends.delete(id)
    mergeWork(work, await judgeItem(ctx, chainId, item, ended ? { ended } : {}))
  }

  // What ended a proposal judged in an earlier scan.
  for (const e of events) {
    const end = endOf(chainId, e)
    if (!end || !ends.has(end.id)) continue
    const p = await ctx.store.getProposal(end.id)
    if (p?.status !== 'pending') continue
    const status = end.executed ? 'executed' : 'deleted'
    const closed = await closeProposal(
      ctx,
      p,
      status,
      `${end.executed ? 'executed' : 'cancelled'} in ${e.transactionHash}`,
    )
    mergeWork(work, {
      batch: {
        statuses: [{ id: p.id, status }],
        audit: [
          {
            actor: 'chain',
            action: end.executed ? 'executed' : 'canceled',
            subject: p.id,
            details: { tx: e.transactionHash },
          },
        ],
        outbox: closed.outbox,
        escalations: closed.escalations ?? [],
      },
      veto: [],
    })
  }
  return work
}

/**
 * Inspects a governance proposal from what its events gave and judges it, unless it already
 * ended (a later scan re-reading its creation inside the reorg window is not news) or nothing
 * that can change its verdict changed.
 */
async function judgeItem(
  ctx: WatchContext,
  chainId: number,
  item: GovernanceItem,
  extra: Pick<Judgement, 'ended'> = {},
): Promise<Work> {
  const id = proposalId(chainId, item.origin)
  const previous = await ctx.store.getProposal(id)
  if (previous && previous.status !== 'pending') return noWork()
  const target = ctx.targets.get(chainId, previous?.target.address ?? addressOf(item))
  const report = await inspectItem(ctx, chainId, item)
  // What can change a verdict: the findings, the simulated effects, the state and ETA, a silence.
  const fingerprint = fingerprintOf(report, target ? ctx.safes.epoch(target.key) : 0)
  if (previous?.fingerprint === fingerprint && !extra.ended) return noWork()
  return judge(ctx, { report, fingerprint, ...extra })
}

/** Inspects a governance proposal, against what its first report recorded (simulation, code). */
export async function inspectItem(ctx: WatchContext, chainId: number, item: GovernanceItem) {
  const firstReport = (await ctx.store.firstReport(proposalId(chainId, item.origin)))?.json as
    | { governance?: { code?: Array<{ address: string; now: string | null }> } }
    | undefined
  const first = summaryFromReportJson(firstReport)
  return (await inspect(ctx.rt, item, {
    ...inspectEnv(ctx, chainId),
    ...(first ? { firstSimulation: first } : {}),
    ...(firstReport?.governance?.code ? { recordedPins: firstReport.governance.code } : {}),
  })) as GovernanceReport
}

const addressOf = (item: GovernanceItem) =>
  item.origin.kind === 'governor' ? item.origin.governor : item.origin.timelock

/**
 * Pending governance proposals simulated again: every `resimulateSeconds`, every scan once their
 * ETA is within `etaWindowSeconds`, and at once when their target's silence changed.
 */
export function resimulateSource(ctx: WatchContext): Source {
  const cfg = ctx.config.sources.governance
  const lastRun = new Map<string, { at: number; epoch: number }>()
  return {
    kind: 'governance-resimulate',
    name: 'governance-resimulate',
    label: 'governance re-simulation',
    everySeconds: cfg.intervalSeconds,
    async *poll() {
      const now = ctx.clock()
      for (const p of await ctx.store.pendingProposals(10_000)) {
        const item = governanceItemOf(p)
        if (!item) continue
        const target = ctx.targets.get(p.chainId, p.target.address)
        const epoch = target ? ctx.safes.epoch(target.key) : 0
        const eta = Number(item.origin.kind === 'timelock' ? item.origin.eta : (item.origin.eta ?? 0n)) * 1000
        const near = eta > 0 && eta - now <= cfg.etaWindowSeconds * 1000
        const last = lastRun.get(p.id) ?? { at: p.lastSeen, epoch }
        const silenceMoved = last.epoch !== epoch
        if (!silenceMoved && !near && now - last.at < cfg.resimulateSeconds * 1000) continue
        if (!silenceMoved && near && now - last.at < cfg.intervalSeconds * 1000) continue
        // One proposal that cannot be judged (an RPC error) does not stop the others.
        let work: Work
        try {
          work = await judgeItem(ctx, p.chainId, item)
        } catch (error) {
          ctx.logger.warn({ proposal: p.id, error: errorText(error) }, 'governance re-simulation failed')
          lastRun.set(p.id, { at: ctx.clock(), epoch })
          continue
        }
        // Timed from when the simulation ended, as a scan's judgement is: runs are a full
        // interval apart however long each one took.
        lastRun.set(p.id, { at: ctx.clock(), epoch })
        yield work
      }
    },
  }
}

export function governanceItemOf(p: StoredProposal): GovernanceItem | undefined {
  return p.origin.kind === 'governor' || p.origin.kind === 'timelock'
    ? { origin: p.origin, calls: p.calls }
    : undefined
}

function fingerprintOf(report: GovernanceReport, epoch: number): string {
  const sim = report.simulation
  return createHash('sha256')
    .update(
      JSON.stringify(
        {
          findings: report.findings.map((f) => `${f.guard}/${f.code}/${f.severity}/${f.message}`),
          sim: sim?.ok
            ? { success: sim.simulation.success, assets: sim.simulation.assetChanges }
            : { error: sim?.error ?? null },
          state: report.governance.state ?? null,
          eta: report.governance.eta ?? null,
          epoch,
        },
        (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
      ),
    )
    .digest('hex')
}
