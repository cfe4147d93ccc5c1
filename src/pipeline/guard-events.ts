import { type Address, decodeFunctionData, type Hash, type Hex, type PublicClient } from 'viem'
import { safeProposalId } from '../model/proposal.js'
import type { Confirmation, SafeTx } from '../model/safe.js'
import { levelRank } from '../model/severity.js'
import { CUSTOS_GUARD_ADDRESS, custosGuardAbi } from '../respond/guard/contract.js'
import { scanLogs } from '../sources/scan.js'
import type { ServiceTx } from '../sources/tx-json.js'
import { inspectEnv, mergeWork, noWork, type WatchContext, type Work } from './context.js'
import { inspect } from './inspect.js'
import type { Source } from './jobs.js'
import { judge } from './judge.js'
import { rulesFor } from './policy.js'
import { safeAlerter } from './updates.js'

// The custos Guard's events for the watched Safes that run it, so that what is done on the guard
// outside custos is seen: a transaction someone schedules (with the owners' signatures they
// hold) is cancelled at once when custos judged it at the veto level, and one custos never saw
// pending is judged at once from the event's fields; a guard change scheduled (the guard's
// removal or new settings) pages at once; an approval or a cancel custos has no record of sending
// means the guardian key is used elsewhere.

const EVENTS = custosGuardAbi.filter(
  (i) => i.type === 'event' && ['Scheduled', 'Approved', 'Cancelled'].includes(i.name),
)

type GuardLog = {
  eventName: 'Scheduled' | 'Approved' | 'Cancelled'
  address: Address
  args: {
    safe?: Address
    safeTxHash?: Hash
    hash?: Hash
    guardChange?: boolean
    executableAt?: bigint
    safeTx?: Omit<SafeTx, 'safe'>
  }
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
  const work: Work = {
    batch: { outbox: [], audit: [], cursors: [{ source: 'guard-events', chainId, value: to.toString() }] },
    veto: [],
  }
  const { batch } = work
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
      if (!proposal) mergeWork(work, await judgeScheduled(ctx, chainId, safe, log, alert))
      else if (vetoAt && proposal.level && levelRank(proposal.level) >= levelRank(vetoAt))
        work.veto.push(proposal.id)
    } else if (!(await ctx.store.guardianActions({ txHash: log.transactionHash })).length) {
      // Approvals and cancels are the guardian's alone, and custos records each of its own before
      // sending it: one it has no record of was sent with its key from somewhere else.
      const what = log.eventName === 'Approved' ? 'approval' : 'cancel'
      alert(
        'critical',
        safe,
        `${what} custos did not send`,
        `${hash} was ${log.eventName.toLowerCase()} on the custos Guard in ${log.transactionHash}, and custos has no record of sending it: the guardian key is used elsewhere. Move the guardian to a new key (a settings change the owners schedule) and find out where the key leaked.`,
        `${chainId}:guard-${log.eventName.toLowerCase()}:${hash}`,
      )
    }
  }
  return { work, acted }
}

/**
 * A transaction scheduled on the guard that custos never saw pending (signed outside the
 * service): judged at once from the fields the event carries, with the owners' signatures read
 * back from the schedule call when it was a direct one, so that it is cancelled if it is an attack.
 */
async function judgeScheduled(
  ctx: WatchContext,
  chainId: number,
  safe: Address,
  log: GuardLog,
  alert: ReturnType<typeof safeAlerter>,
): Promise<Work> {
  const fields = log.args.safeTx
  const hash = log.args.safeTxHash as Hash
  if (!fields) {
    alert(
      'high',
      safe,
      'unknown transaction scheduled',
      `${hash} was scheduled on the custos Guard in ${log.transactionHash}, a transaction custos never saw pending and whose fields it could not read: it can execute after the delay unless it is cancelled`,
      `${chainId}:guard-scheduled:${hash}`,
    )
    return noWork()
  }
  const client = ctx.client(chainId)
  const source: ServiceTx = {
    tx: { safe, ...fields },
    confirmations: await scheduledSignatures(client, log),
  }
  const report = await inspect(ctx.rt, { origin: { kind: 'safe' }, source }, inspectEnv(ctx, chainId))
  if (report.proposal.origin.kind === 'safe')
    report.proposal.origin = { ...report.proposal.origin, seenOn: 'guard' }
  return judge(ctx, { report, fingerprint: `guard-scheduled:${log.transactionHash}` })
}

/** The signatures a direct schedule() call carried, one per 65 bytes; none when it came through a contract. */
async function scheduledSignatures(client: PublicClient, log: GuardLog): Promise<Confirmation[]> {
  try {
    const tx = await client.getTransaction({ hash: log.transactionHash })
    if (tx.to?.toLowerCase() !== log.address.toLowerCase()) return []
    const call = decodeFunctionData({ abi: custosGuardAbi, data: tx.input })
    if (call.functionName !== 'schedule') return []
    const signatures = call.args[2] as Hex
    const out: Confirmation[] = []
    for (let i = 2; i + 130 <= signatures.length && out.length < 100; i += 130)
      out.push({ signature: `0x${signatures.slice(i, i + 130)}` })
    return out
  } catch {
    // The fields alone are still judged: without signatures the report says so (never lower).
    return []
  }
}
