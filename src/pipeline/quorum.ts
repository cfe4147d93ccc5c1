import { errorText } from '../model/redact.js'
import type { Level } from '../model/severity.js'
import type { StoredProposal } from '../model/store.js'
import { inspectSafeTransaction } from '../pipeline.js'
import type { ServiceTx } from '../sources/tx-json.js'
import type { WatchContext } from './context.js'
import { governanceItemOf, inspectItem } from './governance-events.js'
import { decideFor } from './policy.js'
import { silencedUntil } from './silences.js'

// Agreement before acting (`veto.quorum`): each replica reads the chain through its own RPC
// endpoints, so a lying or broken endpoint misleads only one. When another replica judged a
// proposal worth a veto, this one judges it too, by itself (verify, simulate on its own fork,
// guards, policy), and votes; the veto goes out once `quorum` replicas voted for it. Alerts
// never wait for this.

/** Judges what other replicas voted to veto and this one has not judged; vetoes once agreed. */
export async function secondOpinions(ctx: WatchContext): Promise<number> {
  const replicas = ctx.store.replicas
  if (!replicas) return 0
  let judged = 0
  for (const id of await replicas.votesWanted(10)) {
    const p = await ctx.store.getProposal(id)
    if (p?.status !== 'pending') continue
    let verdict: { level: Level; veto: boolean }
    try {
      verdict = await judgeAgain(ctx, p)
    } catch (error) {
      // Not a vote either way: asked again at the next round.
      ctx.logger.warn({ proposal: id, error: errorText(error) }, 'second opinion failed')
      continue
    }
    judged++
    await ctx.commit({
      votes: [{ proposalId: id, ...verdict, second: true }],
      audit: [{ actor: `custos:${replicas.id}`, action: 'second-opinion', subject: id, details: verdict }],
    })
    ctx.logger.info({ proposal: id, ...verdict }, 'second opinion')
    if (verdict.veto) await ctx.vetoer?.veto(p, { kind: 'auto', actor: 'custos' })
  }
  return judged
}

/** This replica's own verdict on a stored proposal: the level, and whether the policy vetoes. */
async function judgeAgain(ctx: WatchContext, p: StoredProposal): Promise<{ level: Level; veto: boolean }> {
  const report = await inspectAgain(ctx, p)
  const target = ctx.targets.get(p.chainId, p.target.address)
  const until = target ? await silencedUntil(ctx, target) : undefined
  const decision = await decideFor(
    ctx,
    { level: report.risk.level, findings: report.findings },
    { target, proposalId: p.id, silencedUntil: until },
  )
  return { level: report.risk.level, veto: decision.actions.includes('veto') }
}

async function inspectAgain(ctx: WatchContext, p: StoredProposal) {
  const item = governanceItemOf(p)
  if (item) return inspectItem(ctx, p.chainId, item)
  if (p.origin.kind !== 'safe') throw new Error(`no second opinion for a ${p.origin.kind} proposal`)
  // The exact signed fields and confirmations stored, checked again against this replica's chain.
  const asService = (q: StoredProposal): ServiceTx | undefined =>
    q.origin.kind === 'safe' ? { tx: q.origin.tx, confirmations: q.origin.confirmations } : undefined
  const siblings = (await ctx.store.proposalsOf(p.chainId, p.target.address, 'pending'))
    .filter((q) => q.key === p.key)
    .flatMap((q) => asService(q) ?? [])
  return inspectSafeTransaction(ctx.rt, {
    source: asService(p) as ServiceTx,
    client: ctx.client(p.chainId),
    simulate: { simulator: ctx.simulator, upstreams: ctx.upstreams(p.chainId) },
    ...(siblings.length > 1 ? { sameNonce: siblings } : {}),
  })
}
