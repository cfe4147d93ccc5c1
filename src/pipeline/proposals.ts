import { createHash } from 'node:crypto'
import { type Address, type PublicClient, parseAbi } from 'viem'
import { proposalRef } from '../model/ref.js'
import { plain, reportToJson } from '../model/report-json.js'
import { inspectSafeTransaction } from '../pipeline.js'
import { alertFromReport } from '../respond/alerts.js'
import { onVerdict } from '../respond/escalation.js'
import { eventAlert } from '../respond/events.js'
import type { PollTarget } from '../sources/service-poller.js'
import type { ServiceTx } from '../sources/tx-json.js'
import type { WorkBatch } from '../store/types.js'
import { readSafeState } from '../verify/chain.js'
import { safeTxHashes } from '../verify/safe-hash.js'
import { fanOut } from './alerts.js'
import { closeProposal, silencedUntil } from './chat.js'
import { safeKey, type WatchContext } from './context.js'
import { ladderFor } from './escalation.js'
import { decideFor } from './policy.js'

/**
 * Handles one poll of a Safe's pending transactions: every new or changed proposal runs the
 * pipeline once (verify, simulate, guards, policy) and its report and alerts are committed
 * together; unchanged ones are skipped; proposals gone from the service are recorded.
 */
export async function handlePending(
  ctx: WatchContext,
  target: PollTarget,
  txs: ServiceTx[],
  nonce: bigint,
  problems: string[] = [],
): Promise<void> {
  const { chainId, safe } = target
  const key = safeKey(chainId, safe)
  if (problems.length) await reportServiceProblems(ctx, target, problems)
  let state = ctx.states.get(key)
  if (!state) {
    state = await readSafeState(ctx.client(chainId), safe)
    ctx.states.set(key, state)
  }
  const version = state.version
  const hashOf = (t: ServiceTx) => safeTxHashes(version, chainId, t.tx).safeTxHash
  const seen = new Set<string>()
  const watched = ctx.safe(chainId, safe)
  const epoch = ctx.epoch.get(key) ?? 0

  for (const source of txs) {
    const hash = hashOf(source)
    const id = `${chainId}:safe:${hash}`
    seen.add(id)
    const siblings = txs.filter((t) => t.tx.nonce === source.tx.nonce)
    const fingerprint = fingerprintOf(source, siblings.map(hashOf), nonce, epoch)
    const previous = await ctx.store.getProposal(id)
    // Executed on chain: done, unless the chain's nonce says that execution was reorged away,
    // in which case the proposal is checked again (its alert, unchanged, is not sent twice).
    const executed = previous?.status === 'executed' || previous?.status === 'failed'
    if (executed && (previous?.nonce ?? 0n) < nonce) continue
    if (previous?.fingerprint === fingerprint && previous.status === 'pending') continue

    const report = await inspectSafeTransaction(ctx.rt, {
      source,
      client: ctx.client(chainId),
      simulate: { simulator: ctx.simulator, upstreams: ctx.upstreams(chainId) },
      ...(siblings.length > 1 ? { sameNonce: siblings } : {}),
    })
    const sim = report.simulation
    ctx.metrics.proposalsSeen.inc({ chain: String(chainId) })
    ctx.metrics.verdicts.inc({ level: report.risk.level })
    if (sim?.ok)
      ctx.metrics.simulationSeconds.observe(
        { chain: String(chainId), outcome: 'ok' },
        sim.simulation.durationMs / 1000,
      )
    else if (sim) ctx.metrics.simulationSeconds.observe({ chain: String(chainId), outcome: 'unavailable' }, 0)

    const ladder = ladderFor(ctx.config, chainId, safe)
    const until = await silencedUntil(ctx, chainId, safe)
    const decision = await decideFor(
      ctx,
      { level: report.risk.level, findings: report.findings },
      { chainId, address: safe, proposalId: id, silencedUntil: until },
    )
    const dedupKey = `${id}:${report.risk.level}`
    const alert = alertFromReport(report, {
      ...(watched ? { safeName: watched.name } : {}),
      link: `${ctx.publicUrl}/reports/${encodeURIComponent(id)}`,
      dedupKey,
      ref: proposalRef(id),
    })
    const existing = await ctx.store.getEscalation(id)
    const escalation = decision.actions.includes('escalate')
      ? onVerdict(existing, id, report.risk.level, ladder, ctx.clock())
      : undefined
    // The risk fell below the ladder (a provisional verdict cleared, say): nobody is chased any
    // more and pages are resolved. A silence only holds the ladder; it does not clear it.
    const cleared =
      !decision.actions.includes('escalate') && until === undefined && existing?.status === 'open'
    const stored = cleared ? await ctx.store.getProposal(id) : undefined
    const clearing =
      cleared && stored
        ? await closeProposal(ctx, stored, 'cleared', `risk fell to ${report.risk.level}: no longer chased`)
        : undefined
    const batch: WorkBatch = {
      proposals: [
        {
          id,
          chainId,
          safe,
          nonce: source.tx.nonce,
          safeTxHash: hash,
          // A simulation that did not run is retried at the next poll: its verdict is provisional.
          fingerprint: sim && !sim.ok ? `${fingerprint}:unsimulated` : fingerprint,
          status: 'pending',
          level: report.risk.level,
        },
      ],
      // Back to pending after a reorg removed its execution (an upsert never downgrades).
      ...(executed ? { statuses: [{ id, status: 'pending' as const }] } : {}),
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
      ...(escalation ? { escalations: [escalation] } : {}),
      ...(clearing?.escalations ? { escalations: clearing.escalations } : {}),
      outbox: [
        ...(decision.actions.includes('notify') ? fanOut(ctx, alert) : []),
        ...(clearing?.outbox ?? []),
      ],
      audit: [
        ...(executed ? [{ actor: 'custos', action: 'reorg-recheck', subject: id }] : []),
        {
          actor: 'custos',
          action: 'report',
          subject: id,
          details: {
            level: report.risk.level,
            score: report.risk.score,
            actions: decision.actions,
            ...(decision.reason ? { reason: decision.reason } : {}),
          },
        },
      ],
    }
    await ctx.commit(batch)
    ctx.logger.info(
      { proposal: id, level: report.risk.level, score: report.risk.score, actions: decision.actions },
      'proposal checked',
    )
    // The policy says veto: custos acts by itself (or reports a dry run), and the channels hear it.
    if (decision.actions.includes('veto')) {
      const stored = await ctx.store.getProposal(id)
      if (stored) await ctx.vetoer?.veto(stored, { kind: 'auto', actor: 'custos' })
    }
  }

  // What the service no longer lists: deleted (still at a future nonce) or replaced (nonce used).
  const gone = (await ctx.store.proposalsBySafe(chainId, safe, 'pending')).filter((p) => !seen.has(p.id))
  // An execution that landed between the nonce read and the list read left the list too: read
  // the nonce again, and what it has passed since is left to the chain events (executed) or the
  // next poll (replaced), never called removed.
  const now = gone.some((p) => p.nonce >= nonce) ? await readNonce(ctx.client(chainId), safe) : nonce
  const batch: WorkBatch = { statuses: [], outbox: [], audit: [] }
  for (const p of gone) {
    if (p.nonce >= nonce && p.nonce < now) continue
    const status = p.nonce >= nonce ? 'deleted' : 'replaced'
    batch.statuses?.push({ id: p.id, status })
    batch.audit?.push({ actor: 'tx-service', action: `proposal-${status}`, subject: p.id })
    const closed = await closeProposal(
      ctx,
      p,
      status,
      status === 'deleted'
        ? 'removed from the transaction service before it executed'
        : `replaced: another transaction used nonce ${p.nonce}`,
    )
    batch.outbox?.push(...closed.outbox)
    batch.escalations = [...(batch.escalations ?? []), ...(closed.escalations ?? [])]
    if (status === 'deleted') {
      batch.outbox?.push(
        ...fanOut(
          ctx,
          eventAlert({
            level: 'info',
            title: `${watched?.name ?? safe} · nonce ${p.nonce}`,
            summary: `transaction ${p.safeTxHash} was removed from the transaction service before it executed`,
            dedupKey: `${p.id}:deleted`,
            chainId,
            safe,
            now: ctx.clock(),
          }),
        ),
      )
    }
  }
  if (batch.statuses?.length) await ctx.commit(batch)
}

const nonceAbi = parseAbi(['function nonce() view returns (uint256)'])
const readNonce = (client: PublicClient, safe: Address) =>
  client.readContract({ address: safe, abi: nonceAbi, functionName: 'nonce' })

/** What the service got wrong (malformed entries, another Safe's transactions, too many): high. */
async function reportServiceProblems(
  ctx: WatchContext,
  target: PollTarget,
  problems: string[],
): Promise<void> {
  const name = ctx.safe(target.chainId, target.safe)?.name ?? target.safe
  const outbox = problems.flatMap((problem) =>
    fanOut(
      ctx,
      eventAlert({
        level: 'high',
        title: `${name} · transaction service`,
        summary: `the transaction service's list of pending transactions is not trustworthy: ${problem}`,
        dedupKey: `${target.chainId}:service-problem:${target.safe.toLowerCase()}:${createHash('sha256').update(problem).digest('hex').slice(0, 16)}`,
        chainId: target.chainId,
        safe: target.safe,
        now: ctx.clock(),
      }),
    ),
  )
  await ctx.commit({
    outbox,
    audit: problems.map((p) => ({
      actor: 'tx-service',
      action: 'invalid-response',
      subject: target.safe,
      details: p,
    })),
  })
}

/** Everything that can change a verdict: the fields, the confirmations, the claims, the competition, the Safe. */
function fingerprintOf(source: ServiceTx, siblings: string[], nonce: bigint, epoch: number): string {
  const material = JSON.stringify(
    {
      tx: source.tx,
      claimed: source.claimedSafeTxHash ?? null,
      confirmations: source.confirmations.map((c) => `${c.owner ?? ''}:${c.signature}`).sort(),
      dataDecoded: source.dataDecoded ?? null,
      siblings: [...siblings].sort(),
      nonce,
      epoch,
    },
    (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
  )
  return createHash('sha256').update(material).digest('hex')
}

export type { Address }
