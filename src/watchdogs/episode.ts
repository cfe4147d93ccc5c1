import type { CheckResult } from '../model/check.js'

// One alert per episode: a check that breaks opens an episode and is raised; while it stays
// broken it is raised again only when it got worse (a new problem, or a measured one grown by
// the check's `worseBy` step since its last alert); when it recovers the episode is resolved.

export type Alerted = Array<{ key: string; measure?: number }>

export type EpisodeStep =
  | { kind: 'quiet' }
  | { kind: 'open' }
  | { kind: 'worse'; why: string }
  | { kind: 'resolve' }

/** What an alert raised for this result covers, to compare later results with. */
export const alertedOf = (result: CheckResult): Alerted =>
  result.problems.map((p) => ({ key: p.key, ...(p.measure !== undefined ? { measure: p.measure } : {}) }))

export function episodeStep(
  open: { alerted: Alerted } | undefined,
  result: CheckResult,
  worseBy: Readonly<Record<string, number>>,
): EpisodeStep {
  if (result.ok) return open ? { kind: 'resolve' } : { kind: 'quiet' }
  if (!open) return { kind: 'open' }
  const before = new Map(open.alerted.map((a) => [a.key, a]))
  for (const p of result.problems) {
    const was = before.get(p.key)
    if (!was) return { kind: 'worse', why: `new: ${p.message}` }
    const step = worseBy[p.code]
    if (
      step !== undefined &&
      p.measure !== undefined &&
      was.measure !== undefined &&
      p.measure - was.measure >= step
    )
      return { kind: 'worse', why: `${p.code} grew from ${was.measure} to ${p.measure}` }
  }
  return { kind: 'quiet' }
}
