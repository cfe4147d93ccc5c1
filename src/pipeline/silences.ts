import type { Escalation } from '../model/store.js'
import type { Target } from '../model/target.js'
import type { WatchContext } from './context.js'

// A chat silence mutes a target's alerts below critical (and holds their ladders) until it
// ends: any target, a Safe, a governor or a timelock, keyed by `target.key`.

/** When a target's silence ends (ms), if it is silenced now. */
export async function silencedUntil(ctx: Pick<WatchContext, 'store' | 'clock'>, target: Pick<Target, 'key'>) {
  return (await ctx.store.activeSilences(ctx.clock())).find((s) => s.target === target.key)?.until
}

/**
 * A silence began, changed or ended on these targets: their pending proposals are judged again
 * (a Safe's epoch is part of every fingerprint; a governance proposal's silence is read when it
 * is judged), so one stored without an alert while silenced is alerted now, and their held
 * ladders look at the silence again at once.
 */
export async function silenceChanged(ctx: WatchContext, targets: Target[]) {
  const now = ctx.clock()
  const escalations: Escalation[] = []
  for (const t of targets) {
    ctx.safes.bump(t.key)
    for (const p of await ctx.store.proposalsOf(t.chainId, t.address, 'pending')) {
      const e = await ctx.store.getEscalation(p.id)
      if (e?.status === 'open' && e.nextAt > now) escalations.push({ ...e, nextAt: now })
    }
  }
  if (escalations.length) await ctx.commit({ escalations })
}

/**
 * Watches silences end: a silence that expired since the last look re-judges its target's held
 * proposals, as `unsilence` does. Among replicas, a silence set or lifted through another one's
 * chat counts too (it judged again there, but this one may lead the target's source).
 */
export function createSilenceWatch(ctx: WatchContext) {
  let silenced = new Map<string, number>()
  let first = true
  return async function expiredSilences() {
    const now = new Map((await ctx.store.activeSilences(ctx.clock())).map((s) => [s.target, s.until]))
    const ended = [...silenced.keys()].filter((t) => !now.has(t))
    const moved = ctx.cluster?.replicated && !first ? [...now].filter(([t, u]) => silenced.get(t) !== u) : []
    silenced = now
    first = false
    const changed = new Set([...ended, ...moved.map(([t]) => t)])
    const targets = ctx.targets.all.filter((t) => changed.has(t.key))
    if (targets.length) await silenceChanged(ctx, targets)
  }
}

/** `30m`, `2h`, `1d`, `45s` in ms; undefined when unreadable. */
export function parseDuration(s: string): number | undefined {
  const m = /^\s*(\d{1,6})\s*(s|m|h|d)\s*$/i.exec(s)
  if (!m) return undefined
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] as string).toLowerCase() as 's']
  const ms = Number(m[1]) * unit
  return ms > 0 ? ms : undefined
}
