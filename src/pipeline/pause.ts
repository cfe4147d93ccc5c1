import type { Config } from '../config/schema.js'
import type { StoredProposal, WorkBatch } from '../model/store.js'
import type { VetoOutcome } from '../model/veto.js'
import { eventAlert } from '../respond/events.js'
import type { ExecutorDeps } from '../respond/veto/common.js'
import { sendPause } from '../respond/veto/pause.js'
import type { ListedPause } from '../respond/veto-signer.js'
import type { WatchContext } from './context.js'
import { fanOut, proposalName } from './updates.js'

// The circuit breaker on the veto path: a broken check's episode is "vetoed" by sending the
// protocol's pause. Its switches are its own (`veto.pauses`), under the key's kill switch; every
// channel hears of each attempt, whatever its level; unpausing is never automatic.

/** The signer's id of a listed pause. */
export const pauseId = (chainId: number, protocol: string, name: string) =>
  `${chainId}:${protocol.toLowerCase()}:${name}`

/** Every pause the configuration lists, as the veto signer takes them (fixed at start). */
export function listedPauses(config: Pick<Config, 'protocols'>): ListedPause[] {
  return config.protocols.flatMap((p) =>
    p.pauses.map((x) => ({
      id: pauseId(p.chainId, p.address, x.name),
      chainId: p.chainId,
      target: x.target,
      function: x.function,
      args: x.args,
    })),
  )
}

/** What is switched on for this proposal's veto: a protocol's pause has its own switches. */
export function vetoSwitch(config: Config, p: Pick<StoredProposal, 'origin'>) {
  const v = config.veto
  if (p.origin.kind !== 'check')
    return { enabled: v.enabled, dryRun: v.dryRun, off: 'vetoes are switched off (veto.enabled)' }
  return {
    enabled: v.enabled && v.pauses.enabled,
    dryRun: v.pauses.dryRun,
    off: `pauses are switched off (${v.enabled ? 'veto.pauses.enabled' : 'veto.enabled'})`,
  }
}

/** Sends the pause a check's episode names (its own, or the one a signer pressed). */
export async function pauseEpisode(
  ctx: WatchContext,
  p: StoredProposal,
  deps: ExecutorDeps,
): Promise<VetoOutcome> {
  if (p.origin.kind !== 'check') return { status: 'refused', message: 'not a protocol check' }
  const name = p.origin.pause
  const target = ctx.targets.get(p.chainId, p.target.address)
  const pause = target?.protocol?.pauses.find((x) => x.name === name)
  if (!pause)
    return { status: 'refused', message: `the protocol lists no pause${name ? ` named ${name}` : ''}` }
  return sendPause(deps, {
    id: pauseId(p.chainId, p.target.address, pause.name),
    signature: pause.function,
    target: pause.target,
  })
}

/** Every channel hears of a pause attempt (the proposal's own update goes where it was told). */
export function pauseNotice(
  ctx: Pick<WatchContext, 'notifiers' | 'targets' | 'clock'>,
  p: StoredProposal,
  outcome: VetoOutcome,
  by: string,
): NonNullable<WorkBatch['outbox']> {
  const alert = eventAlert({
    level: 'critical',
    title: `${proposalName(ctx, p)} · pause ${outcome.status}`,
    summary: `${by}: ${outcome.message}. Unpausing is never automatic.`,
    dedupKey: `${p.id}:pause:${outcome.status}:${ctx.clock()}`,
    chainId: p.chainId,
    now: ctx.clock(),
  })
  return fanOut(ctx, alert)
}
