import { createHash } from 'node:crypto'
import type { CheckConfig } from '../config/protocols.js'
import type { CheckResult } from '../model/check.js'
import type { Finding } from '../model/finding.js'
import { type CheckOrigin, proposalId } from '../model/proposal.js'
import type { CheckReport } from '../model/report.js'
import type { StoredProposal } from '../model/store.js'
import type { Target } from '../model/target.js'
import { aggregateRisk } from '../score/risk.js'
import { createBatchReader } from '../sources/multicall.js'
import { alertedOf, episodeStep } from '../watchdogs/episode.js'
import { type PlannedCheck, planChecks } from '../watchdogs/round.js'
import { type Round, runRound } from './check-round.js'
import { mergeWork, noWork, type WatchContext, type Work } from './context.js'
import type { Source } from './jobs.js'
import { judge } from './judge.js'
import { closeProposal } from './updates.js'

// A watched protocol in the watch loop: its checks are read on a schedule (each new block by
// default, or every so many seconds), in one batch per round; each check's result moves its
// episode (see watchdogs/episode.ts). A check that breaks is judged like any proposal (policy,
// alert, ladder, silence, the pause it asks for); one that recovers is resolved and its pages
// with it.

export function protocolSource(ctx: WatchContext, target: Target): Source {
  const chainId = target.chainId
  const protocol = target.protocol
  const client = ctx.client(chainId)
  const reader = createBatchReader(client, { clock: ctx.clock })
  const planned = planChecks(protocol ?? { pauses: [] }, protocol?.checks ?? [])
  const last = new Map<string, { block: bigint; at: number }>()
  const healthy = new Map<string, boolean>()
  const due = (c: CheckConfig, block: bigint, now: number) => {
    const l = last.get(c.id)
    if (!l) return true
    return c.every === 'block' ? block > l.block : now - l.at >= c.every * 1000
  }
  return {
    kind: 'protocol',
    name: `protocol:${chainId}:${target.address}`,
    chainId,
    everySeconds: ctx.config.sources.protocols.intervalSeconds,
    async *poll() {
      const block = await client.getBlockNumber({ cacheTime: 0 })
      const now = ctx.clock()
      const dueNow = planned.filter((p) => due(p.check, block, now))
      if (!dueNow.length) return
      const started = performance.now()
      const round = await runRound(
        {
          client,
          reader,
          simulate: (call) => ctx.simulator.simulateCall(chainId, ctx.upstreams(chainId), call),
        },
        dueNow,
        block,
      )
      for (const p of dueNow) last.set(p.check.id, { block, at: now })
      ctx.metrics.checkRounds.inc({ chain: String(chainId) })
      ctx.metrics.checkRoundSeconds.observe({ chain: String(chainId) }, (performance.now() - started) / 1000)
      for (const [id, r] of round.results) healthy.set(id, r.ok)
      ctx.metrics.checksBroken.set(
        { protocol: target.name },
        [...healthy.values()].filter((ok) => !ok).length,
      )
      yield await episodesWork(ctx, target, dueNow, round)
    },
  }
}

/** What a round's results do to the protocol's episodes: open, raise again, resolve. */
export async function episodesWork(
  ctx: WatchContext,
  target: Target,
  planned: readonly PlannedCheck[],
  round: Round,
): Promise<Work> {
  const open = new Map<string, StoredProposal & { origin: CheckOrigin }>()
  for (const p of await ctx.store.proposalsOf(target.chainId, target.address, 'pending'))
    if (p.origin.kind === 'check') open.set(p.origin.check, p as StoredProposal & { origin: CheckOrigin })
  const work = noWork()
  for (const { check, pause } of planned) {
    const result = round.results.get(check.id)
    if (!result) continue
    const stored = open.get(check.id)
    const step = episodeStep(stored?.origin, result, check.worseBy)
    if (step.kind === 'quiet') continue
    if (step.kind === 'resolve' && stored) {
      mergeWork(work, await resolve(ctx, stored, `recovered: ${result.summary}`))
      continue
    }
    const origin: CheckOrigin =
      step.kind === 'worse' && stored
        ? { ...stored.origin, alerted: alertedOf(result), raised: stored.origin.raised + 1 }
        : {
            kind: 'check',
            protocol: target.address,
            check: check.id,
            checkKind: check.kind,
            since: ctx.clock(),
            block: round.block,
            alerted: alertedOf(result),
            raised: 1,
            ...(pause ? { pause: pause.name } : {}),
          }
    const report = checkReport(
      target,
      check,
      origin,
      result,
      round,
      pause,
      step.kind === 'worse' ? step.why : undefined,
    )
    mergeWork(
      work,
      await judge(ctx, {
        report,
        fingerprint: createHash('sha256').update(JSON.stringify(origin.alerted)).digest('hex'),
        alertKey: `raised:${origin.raised}`,
        ...(check.action === 'pause' ? { wants: 'veto' as const } : {}),
      }),
    )
  }
  // An episode of a check no longer configured would stay open for ever: it ends here.
  const configured = new Set(target.protocol?.checks.map((c) => c.id) ?? [])
  for (const [id, p] of open)
    if (!configured.has(id))
      mergeWork(work, await resolve(ctx, p, 'the check was removed from the configuration'))
  return work
}

async function resolve(ctx: WatchContext, p: StoredProposal, text: string): Promise<Work> {
  const closed = await closeProposal(ctx, p, 'resolved', text)
  return {
    batch: {
      statuses: [{ id: p.id, status: 'resolved' }],
      outbox: closed.outbox,
      escalations: closed.escalations ?? [],
      audit: [{ actor: 'custos', action: 'check-resolved', subject: p.id, details: { text } }],
    },
    veto: [],
  }
}

/** The report of a broken check: its problems are the findings, at the check's level. */
export function checkReport(
  target: Target,
  check: CheckConfig,
  origin: CheckOrigin,
  result: CheckResult,
  round: Pick<Round, 'block'>,
  pause: PlannedCheck['pause'],
  worse?: string,
): CheckReport {
  const findings: Finding[] = result.problems.map((p) => ({
    guard: check.kind,
    code: p.code,
    severity: check.level,
    message: p.message,
  }))
  return {
    proposal: {
      id: proposalId(target.chainId, origin),
      chainId: target.chainId,
      origin,
      executor: target.address,
      calls: [],
      claimed: {},
    },
    call: { path: '0', from: target.address, to: target.address, value: 0n, data: '0x', operation: 0 },
    signatures: [],
    claims: [],
    findings,
    risk: aggregateRisk(findings),
    labels: {},
    checkedAt: new Date().toISOString(),
    check: {
      protocol: target.name,
      id: check.id,
      kind: check.kind,
      summary: result.summary,
      problems: result.problems,
      ...(result.notes ? { notes: result.notes } : {}),
      block: round.block,
      raised: origin.raised,
      ...(worse ? { worse } : {}),
      ...(pause
        ? {
            pause: {
              name: pause.name,
              target: pause.target,
              signature: pause.signature,
              auto: check.action === 'pause',
            },
          }
        : {}),
    },
  }
}
