import { createHash } from 'node:crypto'
import type { Address, Hash } from 'viem'
import { errorText } from '../model/redact.js'
import { proposalRef } from '../model/ref.js'
import type { GovernanceReport } from '../model/report.js'
import { plain, reportToJson } from '../model/report-json.js'
import { alertFromReport } from '../respond/alerts.js'
import { onVerdict } from '../respond/escalation.js'
import { summaryFromReportJson } from '../score/simulation-summary.js'
import { type GovernanceEvent, groupScheduled, readGovernanceEvents } from '../sources/governance.js'
import type { StoredProposal, WorkBatch } from '../store/types.js'
import { fanOut } from './alerts.js'
import { closeProposal } from './chat.js'
import { type WatchContext, watchedEntry } from './context.js'
import { ladderFor } from './escalation.js'
import { type GovernanceTarget, inspectGovernance } from './governance.js'
import { decideFor } from './policy.js'

// Governance in the watch loop: the watched governors' and timelocks' events are followed from
// a persisted cursor (committed with the work for its blocks, as for Safes); each new proposal
// or scheduled operation is read, simulated and judged; pending ones are simulated again on a
// schedule, more often as their ETA nears, and a changed verdict is alerted.

const idOf = (chainId: number, t: GovernanceTarget) =>
  t.kind === 'governor'
    ? `${chainId}:governor:${t.governor.toLowerCase()}:${t.proposalId}`
    : `${chainId}:timelock:${t.timelock.toLowerCase()}:${t.operationId}`

/** The proposal an execution or cancellation event ends, if it is one. */
function endOf(
  chainId: number,
  e: GovernanceEvent,
): { id: string; kind: 'governor' | 'timelock'; address: Address; executed: boolean } | undefined {
  if (e.kind === 'proposal-executed' || e.kind === 'proposal-canceled')
    return {
      id: idOf(chainId, { kind: 'governor', governor: e.governor, proposalId: e.proposalId }),
      kind: 'governor',
      address: e.governor,
      executed: e.kind === 'proposal-executed',
    }
  if (e.kind === 'call-executed' || e.kind === 'cancelled')
    return {
      id: idOf(chainId, { kind: 'timelock', timelock: e.timelock, operationId: e.operationId }),
      kind: 'timelock',
      address: e.timelock,
      executed: e.kind === 'call-executed',
    }
  return undefined
}

/** A stored governance proposal back as what to inspect. */
function targetOf(p: StoredProposal): GovernanceTarget | undefined {
  const [, kind, address, id] = p.id.split(':')
  if (kind === 'governor' && address && id)
    return { kind, governor: p.safe as Address, proposalId: BigInt(id) }
  if (kind === 'timelock' && address && id)
    return { kind, timelock: p.safe as Address, operationId: id as Hash }
  return undefined
}

export function createGovernanceWatch(ctx: WatchContext, track: <T>(p: Promise<T>) => Promise<T>) {
  const { config, store } = ctx
  const cfg = config.sources.governance
  const ev = config.sources.chainEvents
  const named = (chainId: number, address: string) => watchedEntry(config, chainId, address)
  const chains = [...new Set([...config.governors, ...config.timelocks].map((g) => g.chainId))]
  const lastRun = new Map<string, number>()
  // Creation events already judged and committed, by proposal id: the reorg window re-reads them
  // on every scan, and judging them again would only delay the new ones (judging again is what
  // resimulate() schedules). An event from another block (a reorg) is judged as new.
  const judged = new Map<string, string>()

  /** Inspects and, when the verdict is new, stores the report and queues its alerts. */
  async function judge(chainId: number, target: GovernanceTarget, atBlock?: bigint): Promise<WorkBatch> {
    const firstReport = (await store.firstReport(idOf(chainId, target)))?.json as
      | { governance?: { code?: Array<{ address: string; now: string | null }> } }
      | undefined
    const first = summaryFromReportJson(firstReport)
    const report = await inspectGovernance(ctx.rt, {
      ...(first ? { firstSimulation: first } : {}),
      ...(firstReport?.governance?.code ? { recordedPins: firstReport.governance.code } : {}),
      target,
      client: ctx.client(chainId),
      scan: {
        maxBlockRange: ev.maxBlockRange,
        lookbackBlocks: cfg.lookbackBlocks,
        ...(atBlock !== undefined ? { atBlock } : {}),
      },
      simulate: { simulator: ctx.simulator, upstreams: ctx.upstreams(chainId) },
    })
    lastRun.set(report.proposal.id, ctx.clock())
    return reportBatch(chainId, target, report)
  }

  async function reportBatch(
    chainId: number,
    target: GovernanceTarget,
    report: GovernanceReport,
  ): Promise<WorkBatch> {
    const id = report.proposal.id
    const where = target.kind === 'governor' ? target.governor : target.timelock
    const sim = report.simulation
    // What can change a verdict: the findings, the simulated effects, the state and ETA.
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify(
          {
            findings: report.findings.map((f) => `${f.guard}/${f.code}/${f.severity}/${f.message}`),
            sim: sim?.ok
              ? { success: sim.simulation.success, assets: sim.simulation.assetChanges }
              : { error: sim?.error ?? null },
            state: report.governance.state ?? null,
            eta: report.governance.eta ?? null,
          },
          (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
        ),
      )
      .digest('hex')
    const previous = await store.getProposal(id)
    if (previous?.fingerprint === fingerprint) return {}
    if (previous && previous.status !== 'pending') return {}
    const ladder = ladderFor(config, chainId, where)
    const decision = await decideFor(
      ctx,
      { level: report.risk.level, findings: report.findings },
      { chainId, address: where, proposalId: id },
    )
    const alert = alertFromReport(report, {
      ...(named(chainId, where) ? { safeName: named(chainId, where)?.name as string } : {}),
      link: `${ctx.publicUrl}/reports/${encodeURIComponent(id)}`,
      dedupKey: `${id}:${report.risk.level}`,
      ref: proposalRef(id),
    })
    const escalation = decision.actions.includes('escalate')
      ? onVerdict(await store.getEscalation(id), id, report.risk.level, ladder, ctx.clock())
      : undefined
    ctx.metrics.proposalsSeen.inc({ chain: String(chainId) })
    ctx.metrics.verdicts.inc({ level: report.risk.level })
    return {
      proposals: [
        {
          id,
          chainId,
          safe: where,
          nonce: target.kind === 'governor' ? target.proposalId : 0n,
          safeTxHash: target.kind === 'timelock' ? target.operationId : '',
          fingerprint: sim && !sim.ok ? `${fingerprint}:unsimulated` : fingerprint,
          status: 'pending',
          level: report.risk.level,
        },
      ],
      reports: [
        {
          proposalId: id,
          fingerprint,
          level: report.risk.level,
          score: report.risk.score,
          findings: report.findings,
          json: plain(reportToJson(report)),
          alert,
        },
      ],
      outbox: decision.actions.includes('notify') ? fanOut(ctx, alert) : [],
      ...(escalation ? { escalations: [escalation] } : {}),
      audit: [
        {
          actor: 'custos',
          action: 'report',
          subject: id,
          details: { level: report.risk.level, score: report.risk.score, actions: decision.actions },
        },
      ],
    }
  }

  const merge = (into: WorkBatch, b: WorkBatch) => {
    for (const k of ['proposals', 'statuses', 'reports', 'outbox', 'audit', 'escalations'] as const)
      if (b[k])
        (into[k] as unknown[]) = [...((into[k] as unknown[] | undefined) ?? []), ...(b[k] as unknown[])]
  }

  /** The events of blocks up to `to`, and the cursor `to`, in one commit. */
  async function handle(chainId: number, events: GovernanceEvent[], to: bigint) {
    const batch: WorkBatch = { cursors: [{ source: 'governance-events', chainId, value: to.toString() }] }
    const isGovernor = (a: Address) =>
      config.governors.some((g) => g.chainId === chainId && g.address.toLowerCase() === a.toLowerCase())
    const isTimelock = (a: Address) =>
      config.timelocks.some((g) => g.chainId === chainId && g.address.toLowerCase() === a.toLowerCase())
    const marks = new Map<string, string>()
    const fresh = (id: string, where: string) => {
      if (judged.get(id) === where) return false
      marks.set(id, where)
      return true
    }
    for (const e of events) {
      const created: GovernanceTarget | undefined =
        e.kind === 'proposal-created' && isGovernor(e.governor)
          ? { kind: 'governor', governor: e.governor, proposalId: e.proposalId }
          : undefined
      if (created && fresh(idOf(chainId, created), e.blockHash))
        merge(batch, await judge(chainId, created, e.blockNumber))
      if (e.kind === 'proposal-queued' && isGovernor(e.governor)) {
        // The ETA is known now: judge again (the simulation, the state).
        const t: GovernanceTarget = { kind: 'governor', governor: e.governor, proposalId: e.proposalId }
        if (await store.getProposal(idOf(chainId, t))) merge(batch, await judge(chainId, t))
      }
      const ended = endOf(chainId, e)
      if (ended && (ended.kind === 'governor' ? isGovernor : isTimelock)(ended.address)) {
        const p = await store.getProposal(ended.id)
        if (p && p.status === 'pending') {
          const { executed } = ended
          batch.statuses = [
            ...(batch.statuses ?? []),
            { id: p.id, status: executed ? 'executed' : 'deleted' },
          ]
          batch.audit = [
            ...(batch.audit ?? []),
            {
              actor: 'chain',
              action: executed ? 'executed' : 'canceled',
              subject: p.id,
              details: { tx: e.transactionHash },
            },
          ]
          const closed = await closeProposal(
            ctx,
            p,
            executed ? 'executed' : 'deleted',
            `${executed ? 'executed' : 'canceled'} in ${e.transactionHash}`,
          )
          merge(batch, closed)
        }
      }
    }
    for (const op of groupScheduled(events)) {
      const t: GovernanceTarget = { kind: 'timelock', timelock: op.timelock, operationId: op.operationId }
      if (isTimelock(op.timelock) && fresh(idOf(chainId, t), `${op.blockNumber}:${op.transactionHash}`))
        merge(batch, await judge(chainId, t, op.blockNumber))
    }
    // Created and ended within these blocks (a catch-up, a fast timelock): it is stored closed,
    // not left pending to be simulated forever.
    for (const e of events) {
      const ended = endOf(chainId, e)
      if (ended && batch.proposals?.some((p) => p.id === ended.id))
        batch.statuses = [
          ...(batch.statuses ?? []),
          { id: ended.id, status: ended.executed ? 'executed' : 'deleted' },
        ]
    }
    await commitJudged(batch)
    if (judged.size > 10_000) judged.clear()
    for (const [id, where] of marks) judged.set(id, where)
  }

  /** Commits, then acts on the vetoes the policy decided for the proposals just judged. */
  async function commitJudged(batch: WorkBatch) {
    await ctx.commit(batch)
    for (const a of batch.audit ?? []) {
      const actions = (a.details as { actions?: string[] } | undefined)?.actions
      if (a.action !== 'report' || !actions?.includes('veto')) continue
      const p = await store.getProposal(a.subject)
      if (p) await ctx.vetoer?.veto(p, { kind: 'auto', actor: 'custos' })
    }
  }

  const scanning = new Set<number>()
  /** One scan of a chain: from the cursor minus the reorg window up to the head. */
  async function scan(chainId: number) {
    if (scanning.has(chainId)) return
    scanning.add(chainId)
    try {
      const addresses = [...config.governors, ...config.timelocks]
        .filter((g) => g.chainId === chainId)
        .map((g) => g.address as Address)
      const client = ctx.client(chainId)
      const head = await client.getBlockNumber()
      const cursor = await store.getCursor('governance-events', chainId)
      const start = cursor === undefined ? head : BigInt(cursor) + 1n - BigInt(ev.reorgWindow)
      const from = start < 0n ? 0n : start
      if (from > head) return
      for (let lo = from; lo <= head; lo += BigInt(ev.maxBlockRange)) {
        const hi = lo + BigInt(ev.maxBlockRange) - 1n < head ? lo + BigInt(ev.maxBlockRange) - 1n : head
        await track(
          handle(chainId, await readGovernanceEvents(client, addresses, lo, hi, ev.maxBlockRange), hi),
        )
      }
    } finally {
      scanning.delete(chainId)
    }
  }

  /** Pending proposals simulated again: every `resimulateSeconds`, every scan near their ETA. */
  async function resimulate() {
    const now = ctx.clock()
    for (const p of await store.pendingProposals(10_000)) {
      const target = targetOf(p)
      if (!target) continue
      const latest = await store.latestReport(p.id)
      const eta =
        Number((latest?.json as { governance?: { eta?: string } } | undefined)?.governance?.eta ?? 0) * 1000
      const near = eta > 0 && eta - now <= cfg.etaWindowSeconds * 1000
      const last = lastRun.get(p.id) ?? latest?.createdAt ?? 0
      if (!near && now - last < cfg.resimulateSeconds * 1000) continue
      if (near && now - last < cfg.intervalSeconds * 1000) continue
      // One proposal that cannot be judged (an RPC error, its creation out of the lookback) does
      // not stop the others from being simulated again.
      try {
        await commitJudged(await track(judge(p.chainId, target)))
      } catch (error) {
        ctx.logger.warn({ proposal: p.id, error: errorText(error) }, 'governance re-simulation failed')
        lastRun.set(p.id, now)
      }
    }
  }

  return { chains, scan, resimulate }
}
