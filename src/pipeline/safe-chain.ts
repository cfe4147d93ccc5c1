import { type Address, getAddress, type Hash, parseAbi } from 'viem'
import { safeProposalId } from '../model/proposal.js'
import { errorText } from '../model/redact.js'
import type { WorkBatch } from '../model/store.js'
import { type Target, targetKey } from '../model/target.js'
import { readSafeEvents, SAFE_CONFIG_EVENTS, type SafeEvent } from '../sources/safe-events.js'
import { scanLogs } from '../sources/scan.js'
import { readSafeState } from '../verify/chain.js'
import type { WatchContext, Work } from './context.js'
import type { Source } from './jobs.js'
import { closeProposal, safeAlerter } from './updates.js'

/**
 * The Safe events of one chain: executions close their proposals (and an execution custos never
 * saw queued, or by a stranger, is an alert), on-chain approvals and configuration changes move
 * the Safe's epoch so its pending proposals are judged again. `changed` hears of each Safe
 * whose configuration changed (the watch loop checks its drift and polls it at once).
 */
export function safeEventsSource(
  ctx: WatchContext,
  chainId: number,
  changed: (target: Target) => void,
): Source {
  const ev = ctx.config.sources.chainEvents
  const safes = ctx.targets.ofKind('safe').filter((t) => t.chainId === chainId)
  // The reorg window is read again on every scan: act on each event once (alerts are also
  // deduplicated by key, so a restart that forgets this set sends nothing twice).
  const seen = new Set<string>()
  return {
    kind: 'chain-events',
    name: `chain-events:${chainId}`,
    label: `chain events on chain ${chainId} (${safes.map((t) => t.name).join(', ')})`,
    chainId,
    everySeconds: ev.intervalSeconds,
    async *poll() {
      const cursor = await ctx.store.getCursor('safe-events', chainId)
      const client = ctx.client(chainId)
      for await (const range of scanLogs({
        client,
        cursor: cursor === undefined ? undefined : BigInt(cursor),
        reorgWindow: ev.reorgWindow,
        maxBlockRange: ev.maxBlockRange,
        read: (from, to) =>
          readSafeEvents(
            client,
            safes.map((s) => s.address),
            from,
            to,
          ),
      })) {
        const { work, acted, changes } = await eventsWork(ctx, chainId, range.events, range.to, seen)
        yield work
        // Remembered only once committed: an event whose batch failed is handled again next scan.
        if (seen.size > 100_000) seen.clear()
        for (const id of acted) seen.add(id)
        ctx.metrics.lastBlock.set({ chain: String(chainId) }, Number(range.to))
        for (const t of changes) changed(t)
      }
    },
  }
}

/** The work the Safe events of blocks up to `to` cause, with the cursor `to`, as one batch. */
async function eventsWork(
  ctx: WatchContext,
  chainId: number,
  events: SafeEvent[],
  to: bigint,
  seen: Set<string>,
): Promise<{ work: Work; acted: string[]; changes: Target[] }> {
  const batch: WorkBatch = {
    statuses: [],
    outbox: [],
    audit: [],
    escalations: [],
    cursors: [{ source: 'safe-events', chainId, value: to.toString() }],
  }
  const changes: Target[] = []
  const alert = safeAlerter(ctx, batch.outbox ?? [], chainId)

  const acted: string[] = []
  for (const ev of events) {
    const target = ctx.targets.get(chainId, ev.safe)
    const key = target?.key ?? targetKey(chainId, ev.safe)
    const id = `${ev.blockHash}:${ev.logIndex}`
    if (seen.has(id)) continue
    acted.push(id)
    // Replicas: the Safe's transaction service may be polled by another one, whose view of the
    // Safe (owners, nonce, approvals) this event changes. It reads this mark on every poll.
    if (ctx.cluster?.replicated)
      batch.cursors?.push({
        source: safeStateMark(ev.safe),
        chainId,
        value: `${ev.blockNumber}:${ev.logIndex}:${ev.blockHash}`,
      })
    switch (ev.name) {
      case 'ExecutionSuccess':
      case 'ExecutionFailure': {
        const hash = ev.args.txHash as Hash
        const proposal = await ctx.store.getProposal(safeProposalId(chainId, hash))
        if (!proposal) {
          alert(
            'high',
            ev.safe,
            'unqueued execution',
            `executed ${hash} in ${ev.transactionHash}, a transaction custos never saw pending: nobody was warned before it ran`,
            `${chainId}:unqueued:${hash}`,
          )
        } else if (proposal.status !== 'executed' && proposal.status !== 'failed') {
          batch.statuses?.push({
            id: proposal.id,
            status: ev.name === 'ExecutionSuccess' ? 'executed' : 'failed',
          })
          batch.audit?.push({
            actor: 'chain',
            action: ev.name === 'ExecutionSuccess' ? 'executed' : 'execution-failed',
            subject: proposal.id,
            details: { tx: ev.transactionHash, block: ev.blockNumber.toString() },
          })
          const ok = ev.name === 'ExecutionSuccess'
          const closed = await closeProposal(
            ctx,
            proposal,
            ok ? 'executed' : 'failed',
            `${ok ? 'executed' : 'executed and failed'} in ${ev.transactionHash}`,
          )
          batch.outbox?.push(...closed.outbox)
          batch.escalations?.push(...(closed.escalations ?? []))
        }
        const executor = await sender(ctx, chainId, ev.transactionHash)
        if (executor) {
          const owners = await ownersBefore(ctx, chainId, ev.safe, ev.blockNumber)
          const known = new Set(
            [...(owners.ok ? owners.owners : []), ...(target?.relayers ?? [])].map((a) => a.toLowerCase()),
          )
          if (!known.has(executor.toLowerCase()))
            alert(
              'high',
              ev.safe,
              'unqueued execution',
              owners.ok
                ? `${hash} was executed by ${executor}, who is neither an owner nor a known relayer`
                : `${hash} was executed by ${executor}, who is not a known relayer; custos could not read the owners to check them (${owners.error})`,
              `${chainId}:executor:${hash}`,
            )
        }
        ctx.safes.bump(key) // the nonce moved: the next competitor changes
        break
      }
      case 'ApproveHash':
        ctx.safes.bump(key) // an owner approved on chain: a new confirmation
        break
      case 'ExecutionFromModuleSuccess':
      case 'ExecutionFromModuleFailure':
        alert(
          'medium',
          ev.safe,
          'module execution',
          `module ${String(ev.args.module)} executed a transaction without owner signatures (${ev.transactionHash})`,
          `${chainId}:module:${ev.transactionHash}:${String(ev.args.module).toLowerCase()}`,
        )
        break
      default:
        if (!SAFE_CONFIG_EVENTS.has(ev.name)) break
        ctx.safes.invalidate(key)
        batch.audit?.push({
          actor: 'chain',
          action: 'safe-config-changed',
          subject: key,
          details: { event: ev.name, tx: ev.transactionHash },
        })
        // A new singleton is the most dangerous change there is (the Bybit end state).
        alert(
          ev.name === 'ChangedMasterCopy' ? 'critical' : 'medium',
          ev.safe,
          'configuration changed on chain',
          `${ev.name}(${Object.values(ev.args).map(String).join(', ')}) in ${ev.transactionHash}`,
          // Not the log index: a reorg can re-include the same change at another position.
          `${chainId}:config:${ev.transactionHash}:${ev.name}:${Object.values(ev.args).map(String).join(',').toLowerCase()}`,
        )
        if (target && !changes.includes(target)) changes.push(target)
    }
  }
  return { work: { batch, veto: [] }, acted, changes }
}

const getOwners = parseAbi(['function getOwners() view returns (address[])'])

/**
 * The owners before an execution: at the block before it, since the transaction may itself change
 * them (its AddedOwner comes before its ExecutionSuccess) and a cached state may already be newer.
 * A node that no longer holds that block's state gives the owners cached or read now.
 */
async function ownersBefore(
  ctx: WatchContext,
  chainId: number,
  safe: Address,
  block: bigint,
): Promise<{ ok: true; owners: readonly Address[] } | { ok: false; error: string }> {
  const client = ctx.client(chainId)
  try {
    return {
      ok: true,
      owners: await client.readContract({
        address: safe,
        abi: getOwners,
        functionName: 'getOwners',
        blockNumber: block > 0n ? block - 1n : 0n,
      }),
    }
  } catch (error) {
    // Most often a node that keeps recent state only, on a scan catching up on old blocks.
    ctx.logger.warn(
      { chainId, safe, block: block.toString(), error: errorText(error) },
      'owners before an execution unreadable: judging its executor by the cached or current owners',
    )
    try {
      const cached = ctx.safes.get(targetKey(chainId, safe))
      return { ok: true, owners: cached?.owners ?? (await readSafeState(client, safe)).owners }
    } catch (error) {
      return { ok: false, error: errorText(error) }
    }
  }
}

async function sender(ctx: WatchContext, chainId: number, tx: Hash): Promise<Address | undefined> {
  try {
    return getAddress((await ctx.client(chainId).getTransaction({ hash: tx })).from)
  } catch {
    return undefined
  }
}

/** The cursor row that moves whenever a Safe's on-chain state changed (see `safeServiceSource`). */
export const safeStateMark = (safe: Address) => `safe-state:${safe.toLowerCase()}`
