import type { Address } from 'viem'
import { eventAlert } from '../respond/events.js'
import { compareConfig, readSafeConfig } from '../sources/drift.js'
import { fanOut } from './alerts.js'
import type { WatchContext, WatchedSafe } from './context.js'

/** Asserts a Safe's expected configuration against the chain; drift is an alert (once per state). */
export async function checkDrift(ctx: WatchContext, safe: WatchedSafe): Promise<number> {
  if (!safe.expected) return 0
  const actual = await readSafeConfig(ctx.client(safe.chainId), safe.address as Address)
  const drift = compareConfig(safe.expected, actual)
  // Each drift episode (from the first check that sees it to the next clean one) is alerted
  // once per drifted state; the episode start is stored, so a restart does not repeat it, and a
  // drift that comes back after a clean check is alerted again.
  const episodeKey = `drift-episode:${safe.address.toLowerCase()}`
  const since = await ctx.store.getCursor(episodeKey, safe.chainId)
  if (drift.length === 0) {
    if (since) await ctx.commit({ cursors: [{ source: episodeKey, chainId: safe.chainId, value: '' }] })
    return 0
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
      guard: 'drift-watchdog',
      code: 'config-drift',
      message: `${d.field}: expected ${d.expected}, found ${d.actual}`,
    })),
    now: ctx.clock(),
  })
  await ctx.commit({
    outbox: fanOut(ctx, alert),
    cursors: [{ source: episodeKey, chainId: safe.chainId, value: episode }],
    audit: [{ actor: 'custos', action: 'config-drift', subject: safe.address, details: drift }],
  })
  return drift.length
}

export type SourceHealth = {
  /** What is watched, named as the configuration names it. */
  source: string
  /** When it last succeeded; null when it never has. */
  lastSuccess: number | null
  /** When custos started watching it. */
  since: number
  intervalMs: number
  lastError?: string
  failures: number
}

/**
 * Silence is not health: a source that has not succeeded for `silentAfter` intervals raises
 * its own alert, once per outage (the key carries when it last succeeded).
 */
export async function checkSilence(
  ctx: WatchContext,
  sources: Map<string, SourceHealth>,
  silentAfter: number,
): Promise<string[]> {
  const silent: string[] = []
  const now = ctx.clock()
  for (const [name, h] of sources) {
    const last = h.lastSuccess ?? h.since
    if (now - last <= silentAfter * h.intervalMs) continue
    silent.push(name)
    const seconds = Math.round((now - last) / 1000)
    const alert = eventAlert({
      level: 'high',
      title: `source silent: ${h.source}`,
      summary: `${h.lastSuccess === null ? `no successful poll of the ${h.source} since custos started ${seconds} s ago` : `no successful poll of the ${h.source} for ${seconds} s`} (${h.failures} failures${h.lastError ? `, last: ${h.lastError}` : ''}): custos cannot see new transactions there`,
      dedupKey: `silent:${name}:${last}`,
      now,
    })
    await ctx.commit({ outbox: fanOut(ctx, alert) })
  }
  return silent
}
