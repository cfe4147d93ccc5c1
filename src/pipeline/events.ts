import { type Address, getAddress, type Hash, parseAbi } from 'viem'
import { errorText } from '../model/redact.js'
import type { Level } from '../model/severity.js'
import { eventAlert } from '../respond/events.js'
import { SAFE_CONFIG_EVENTS, type SafeEvent } from '../sources/safe-events.js'
import type { WorkBatch } from '../store/types.js'
import { readSafeState } from '../verify/chain.js'
import { fanOut } from './alerts.js'
import { closeProposal } from './chat.js'
import { safeKey, type WatchContext } from './context.js'

/**
 * Handles the Safe events of blocks `from..to` and commits the cursor `to` with what they
 * cause, in one batch. Re-reading the reorg window replays events; every effect here is
 * idempotent (status updates, alerts deduplicated by key), so a replay changes nothing.
 */
export async function handleEvents(
  ctx: WatchContext,
  chainId: number,
  events: SafeEvent[],
  to: bigint,
  onConfigChange: (safe: Address) => void,
): Promise<void> {
  const batch: WorkBatch = {
    statuses: [],
    outbox: [],
    audit: [],
    cursors: [{ source: 'safe-events', chainId, value: to.toString() }],
  }
  const alert = (level: Level, safe: Address, title: string, summary: string, dedupKey: string) =>
    batch.outbox?.push(
      ...fanOut(
        ctx,
        eventAlert({
          level,
          title: `${ctx.safe(chainId, safe)?.name ?? safe} · ${title}`,
          summary,
          dedupKey,
          chainId,
          safe,
          now: ctx.clock(),
        }),
      ),
    )

  const acted: string[] = []
  for (const ev of events) {
    const key = safeKey(chainId, ev.safe)
    // The reorg window is read again on every scan: act on each event once (alerts are also
    // deduplicated by key, so a restart that forgets this set sends nothing twice).
    const id = `${ev.blockHash}:${ev.logIndex}`
    if (ctx.seenEvents.has(id)) continue
    acted.push(id)
    switch (ev.name) {
      case 'ExecutionSuccess':
      case 'ExecutionFailure': {
        const hash = ev.args.txHash as Hash
        const proposal = await ctx.store.findProposalByHash(chainId, hash)
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
          batch.escalations = [...(batch.escalations ?? []), ...(closed.escalations ?? [])]
        }
        const executor = await sender(ctx, chainId, ev.transactionHash)
        if (executor) {
          const owners = await ownersBefore(ctx, chainId, ev.safe, ev.blockNumber)
          const known = new Set(
            [...(owners.ok ? owners.owners : []), ...(ctx.safe(chainId, ev.safe)?.relayers ?? [])].map((a) =>
              a.toLowerCase(),
            ),
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
        ctx.epoch.set(key, (ctx.epoch.get(key) ?? 0) + 1) // the nonce moved: the next competitor changes
        break
      }
      case 'ApproveHash':
        ctx.epoch.set(key, (ctx.epoch.get(key) ?? 0) + 1) // an owner approved on chain: a new confirmation
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
        ctx.epoch.set(key, (ctx.epoch.get(key) ?? 0) + 1)
        ctx.states.delete(key)
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
        onConfigChange(ev.safe)
    }
  }
  await ctx.commit(batch)
  // Remembered only once committed: an event whose batch failed is handled again next scan.
  if (ctx.seenEvents.size > 100_000) ctx.seenEvents.clear()
  for (const id of acted) ctx.seenEvents.add(id)
  ctx.metrics.lastBlock.set({ chain: String(chainId) }, Number(to))
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
      const cached = ctx.states.get(safeKey(chainId, safe))
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
