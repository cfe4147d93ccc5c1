import type { Target } from '../model/target.js'
import { eventAlert } from '../respond/events.js'
import { WATCH_FINDINGS } from '../score/codes.js'
import { compareConfig, readSafeConfig } from '../sources/drift.js'
import { noWork, type WatchContext, type Work } from './context.js'
import type { Source, SourceHealth } from './jobs.js'
import { fanOut } from './updates.js'

/** The drift watchdog: every Safe with an `expected` configuration, checked against the chain. */
export function driftSource(ctx: WatchContext): Source {
  return {
    kind: 'drift',
    name: 'drift',
    label: 'drift check',
    everySeconds: ctx.config.sources.drift.intervalSeconds,
    async *poll() {
      for (const safe of ctx.targets.ofKind('safe')) if (safe.expected) yield await driftWork(ctx, safe)
    },
  }
}

/** Asserts a Safe's expected configuration against the chain; drift is an alert (once per state). */
export async function driftWork(ctx: WatchContext, safe: Target): Promise<Work> {
  if (!safe.expected) return noWork()
  const actual = await readSafeConfig(ctx.client(safe.chainId), safe.address)
  const drift = compareConfig(safe.expected, actual)
  // Each drift episode (from the first check that sees it to the next clean one) is alerted
  // once per drifted state; the episode start is stored, so a restart does not repeat it, and a
  // drift that comes back after a clean check is alerted again.
  const episodeKey = `drift-episode:${safe.address.toLowerCase()}`
  const since = await ctx.store.getCursor(episodeKey, safe.chainId)
  // Committed only if no other check (the drift job, a re-check a chain event started, on this
  // replica or another) moved the episode since it was read: one alert per drifted state.
  const ifCursor = { source: episodeKey, chainId: safe.chainId, value: since ?? '' }
  if (drift.length === 0)
    return {
      batch: since ? { cursors: [{ source: episodeKey, chainId: safe.chainId, value: '' }], ifCursor } : {},
      veto: [],
    }
  const episode = since || String(ctx.clock())
  const critical = drift.some((d) => d.field === 'singleton' || d.field === 'modules')
  const summary = drift.map((d) => `${d.field}: expected ${d.expected}, found ${d.actual}`).join('; ')
  const alert = eventAlert({
    level: critical ? 'critical' : 'high',
    title: `${safe.name} · configuration drift`,
    summary,
    // One alert per drifted state: the same drift is not repeated every check.
    dedupKey: `${safe.chainId}:drift:${safe.address.toLowerCase()}:${episode}:${summary}`,
    chainId: safe.chainId,
    safe: safe.address,
    findings: drift.map((d) => ({
      severity: critical ? 'critical' : 'high',
      guard: WATCH_FINDINGS.drift.guard,
      code: WATCH_FINDINGS.drift.code,
      message: `${d.field}: expected ${d.expected}, found ${d.actual}`,
    })),
    now: ctx.clock(),
  })
  return {
    batch: {
      outbox: fanOut(ctx, alert),
      cursors: [{ source: episodeKey, chainId: safe.chainId, value: episode }],
      audit: [{ actor: 'custos', action: 'config-drift', subject: safe.address, details: drift }],
      ifCursor,
    },
    veto: [],
  }
}

/**
 * Silence is not health: a source that has not succeeded for `silentAfter` intervals (and seconds) raises
 * its own alert, once per outage (the key carries when it last succeeded).
 */
export async function checkSilence(
  ctx: WatchContext,
  sources: Map<string, SourceHealth>,
  silentAfter: { intervals: number; seconds: number },
  startedAt: number,
): Promise<string[]> {
  const silent: string[] = []
  const now = ctx.clock()
  for (const [name, h] of sources) {
    const since = h.lastSuccess ?? startedAt
    if (now - since <= Math.max(silentAfter.intervals * h.intervalMs, silentAfter.seconds * 1000)) continue
    silent.push(name)
    const seconds = Math.round((now - since) / 1000)
    const alert = eventAlert({
      level: 'high',
      // Named as the configuration names it, not by the internal key.
      title: `source silent: ${h.source}`,
      summary: `${h.lastSuccess === null ? `no successful poll of the ${h.source} since custos started ${seconds} s ago` : `no successful poll of the ${h.source} for ${seconds} s`} (${h.failures} failures${h.lastError ? `, last: ${h.lastError}` : ''}): custos cannot see new transactions there`,
      dedupKey: `silent:${name}:${since}`,
      now,
    })
    await ctx.commit({ outbox: fanOut(ctx, alert) })
  }
  return silent
}
