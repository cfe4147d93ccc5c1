import type { Finding } from '../model/finding.js'
import { type Level, levelRank, SEVERITIES, type Severity } from '../model/severity.js'

export type Risk = { level: Level; score: number }

// Each level owns a band of the 0–100 score; within a band, more and worse findings score higher.
const BANDS: Record<Level, [number, number]> = {
  none: [0, 0],
  info: [1, 9],
  low: [10, 29],
  medium: [30, 59],
  high: [60, 84],
  critical: [85, 100],
}
const WEIGHT: Record<Severity, number> = { info: 0.5, low: 2, medium: 5, high: 8, critical: 5 }

/** Risk level = the worst severity; the score orders reports within a level. */
export function aggregateRisk(findings: Finding[]): Risk {
  const level = findings.reduce<Level>(
    (worst, f) => (levelRank(f.severity) > levelRank(worst) ? f.severity : worst),
    'none',
  )
  if (level === 'none') return { level, score: 0 }
  const [min, max] = BANDS[level]
  const extra = findings.reduce((sum, f) => sum + WEIGHT[f.severity], 0) - WEIGHT[level as Severity]
  return { level, score: Math.min(max, Math.round(min + extra)) }
}

/** Worst first, then by guard id and path, so output is stable. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      a.guard.localeCompare(b.guard) ||
      (a.path ?? '').localeCompare(b.path ?? '', undefined, { numeric: true }) ||
      a.code.localeCompare(b.code),
  )
}
