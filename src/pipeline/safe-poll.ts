import { createHash } from 'node:crypto'
import { type Address, type PublicClient, parseAbi } from 'viem'
import { safeProposalId } from '../model/proposal.js'
import { safeTxHashes } from '../model/safe-hash.js'
import type { Target } from '../model/target.js'
import { eventAlert } from '../respond/events.js'
import type { RateGate } from '../sources/rate-gate.js'
import type { ServiceTx } from '../sources/tx-json.js'
import type { ServiceClient } from '../sources/tx-service.js'
import { readSafeState } from '../verify/chain.js'
import { inspectEnv, type WatchContext, type Work } from './context.js'
import { inspect } from './inspect.js'
import type { Source } from './jobs.js'
import { judge } from './judge.js'
import { safeStateMark } from './safe-chain.js'
import { closeProposal, fanOut } from './updates.js'

// A Safe's pending transactions, from the transaction service: every new or changed one is
// inspected (verify, simulate, guards) and judged once; unchanged ones are skipped; what the
// service no longer lists is recorded as deleted or replaced.

const nonceAbi = parseAbi(['function nonce() view returns (uint256)'])
const readNonce = (client: PublicClient, safe: Address) =>
  client.readContract({ address: safe, abi: nonceAbi, functionName: 'nonce' })

export type ServiceAccess = {
  service(chainId: number): Promise<ServiceClient>
  /** The rate gate of the service a chain is polled from. */
  gate(chainId: number): RateGate
}

/** The transaction-service source of one Safe, started `offsetMs` into each interval. */
export function safeServiceSource(
  ctx: WatchContext,
  access: ServiceAccess,
  target: Target,
  offsetMs: number,
): Source {
  const svc = ctx.config.sources.txService
  let mark: string | undefined
  return {
    kind: 'tx-service',
    // Health per Safe: one Safe failing every poll must not hide behind others that succeed.
    name: `tx-service:${target.chainId}:${target.address}`,
    label: `transaction service for ${target.name} (chain ${target.chainId})`,
    chainId: target.chainId,
    everySeconds: svc.intervalSeconds,
    offsetMs,
    ready: `tx-service:${target.chainId}`,
    async *poll() {
      await access.gate(target.chainId).wait()
      if (ctx.cluster?.replicated) {
        // The chain events may be read by another replica: what they changed is marked in the store.
        const now = await ctx.store.getCursor(safeStateMark(target.address), target.chainId)
        if (mark !== undefined && now !== mark) ctx.safes.invalidate(target.key)
        mark = now ?? ''
      }
      const nonce = await currentNonce(ctx, target)
      const service = await access.service(target.chainId)
      const { txs, problems } = await service.pending(target.address, nonce, svc.pageSize)
      yield* pendingWork(ctx, target, txs, nonce, problems)
    },
    onSuccess: () =>
      ctx.metrics.lastPoll.set(
        { chain: String(target.chainId), safe: target.address },
        Math.floor(ctx.clock() / 1000),
      ),
  }
}

/**
 * One RPC call per Safe and poll: the nonce. The rest of the Safe's state is read once, and again
 * only after the chain events say it changed (they invalidate the cached state).
 */
async function currentNonce(ctx: WatchContext, target: Target): Promise<bigint> {
  const known = ctx.safes.get(target.key)
  if (!known) {
    const state = await readSafeState(ctx.client(target.chainId), target.address)
    ctx.safes.set(target.key, state)
    return state.nonce
  }
  const epoch = ctx.safes.epoch(target.key)
  const nonce = await readNonce(ctx.client(target.chainId), target.address)
  // Chain events may have dropped the cached state meanwhile: never bring a stale one back.
  if (nonce !== known.nonce && ctx.safes.epoch(target.key) === epoch && ctx.safes.get(target.key)) {
    ctx.safes.bump(target.key)
    ctx.safes.set(target.key, { ...known, nonce })
  }
  return nonce
}

/** The work one poll of a Safe's pending transactions causes, one proposal at a time. */
export async function* pendingWork(
  ctx: WatchContext,
  target: Target,
  txs: ServiceTx[],
  nonce: bigint,
  problems: string[] = [],
): AsyncGenerator<Work> {
  const { chainId } = target
  if (problems.length) yield serviceProblems(ctx, target, problems)
  let state = ctx.safes.get(target.key)
  if (!state) {
    state = await readSafeState(ctx.client(chainId), target.address)
    ctx.safes.set(target.key, state)
  }
  const { version } = state
  const hashOf = (t: ServiceTx) => safeTxHashes(version, chainId, t.tx).safeTxHash
  const seen = new Set<string>()
  const epoch = ctx.safes.epoch(target.key)

  for (const source of txs) {
    const hash = hashOf(source)
    const id = safeProposalId(chainId, hash)
    seen.add(id)
    const siblings = txs.filter((t) => t.tx.nonce === source.tx.nonce)
    const fingerprint = fingerprintOf(source, siblings.map(hashOf), nonce, epoch)
    const previous = await ctx.store.getProposal(id)
    // Executed on chain: done, unless the chain's nonce says that execution was reorged away,
    // in which case the proposal is checked again (its alert, unchanged, is not sent twice).
    const executed = previous?.status === 'executed' || previous?.status === 'failed'
    if (executed && BigInt(previous?.key ?? 0) < nonce) continue
    if (previous?.fingerprint === fingerprint && previous.status === 'pending') continue

    const report = await inspect(
      ctx.rt,
      { origin: { kind: 'safe' }, source, sameNonce: siblings },
      inspectEnv(ctx, chainId),
    )
    yield await judge(ctx, { report, fingerprint, ...(executed ? { reopened: true } : {}) })
  }

  // What the service no longer lists: deleted (still at a future nonce) or replaced (nonce used).
  // One read from the guard's Scheduled event was never in the service's list: only its nonce ends it.
  const gone = (await ctx.store.proposalsOf(chainId, target.address, 'pending')).filter(
    (p) =>
      !seen.has(p.id) && !(p.origin.kind === 'safe' && p.origin.seenOn === 'guard' && BigInt(p.key) >= nonce),
  )
  // An execution that landed between the nonce read and the list read left the list too: read
  // the nonce again, and what it has passed since is left to the chain events (executed) or the
  // next poll (replaced), never called removed.
  const now = gone.some((p) => BigInt(p.key) >= nonce)
    ? await readNonce(ctx.client(chainId), target.address)
    : nonce
  const work: Work = { batch: { statuses: [], outbox: [], audit: [], escalations: [] }, veto: [] }
  const { batch } = work
  for (const p of gone) {
    const key = BigInt(p.key)
    if (key >= nonce && key < now) continue
    const status = key >= nonce ? 'deleted' : 'replaced'
    batch.statuses?.push({ id: p.id, status })
    batch.audit?.push({ actor: 'tx-service', action: `proposal-${status}`, subject: p.id })
    const closed = await closeProposal(
      ctx,
      p,
      status,
      status === 'deleted'
        ? 'removed from the transaction service before it executed'
        : `replaced: another transaction used nonce ${p.key}`,
    )
    batch.outbox?.push(...closed.outbox)
    batch.escalations?.push(...(closed.escalations ?? []))
    if (status === 'deleted' && p.origin.kind === 'safe')
      batch.outbox?.push(
        ...fanOut(
          ctx,
          eventAlert({
            level: 'info',
            title: `${target.name} · nonce ${p.key}`,
            summary: `transaction ${p.origin.safeTxHash} was removed from the transaction service before it executed`,
            dedupKey: `${p.id}:deleted`,
            chainId,
            safe: target.address,
            now: ctx.clock(),
          }),
        ),
      )
  }
  if (batch.statuses?.length) yield work
}

/** What the service got wrong (malformed entries, another Safe's transactions, too many): high. */
function serviceProblems(ctx: WatchContext, target: Target, problems: string[]): Work {
  const outbox = problems.flatMap((problem) =>
    fanOut(
      ctx,
      eventAlert({
        level: 'high',
        title: `${target.name} · transaction service`,
        summary: `the transaction service's list of pending transactions is not trustworthy: ${problem}`,
        dedupKey: `${target.chainId}:service-problem:${target.address.toLowerCase()}:${createHash('sha256').update(problem).digest('hex').slice(0, 16)}`,
        chainId: target.chainId,
        safe: target.address,
        now: ctx.clock(),
      }),
    ),
  )
  return {
    batch: {
      outbox,
      audit: problems.map((p) => ({
        actor: 'tx-service',
        action: 'invalid-response',
        subject: target.address,
        details: p,
      })),
    },
    veto: [],
  }
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
