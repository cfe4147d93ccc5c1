import type { Alert } from '../model/alert.js'
import type { Level } from '../model/severity.js'

/** An alert about something that happened (an execution, a drift, a silent source), not a report. */
export function eventAlert(opts: {
  level: Level
  title: string
  summary: string
  dedupKey: string
  chainId?: number
  safe?: string
  findings?: Alert['findings']
  now: number
}): Alert {
  return {
    kind: opts.safe ? 'event' : 'health',
    level: opts.level,
    title: `${opts.level.toUpperCase()} · ${opts.title}`,
    summary: opts.summary,
    ...(opts.chainId !== undefined ? { chainId: opts.chainId } : {}),
    ...(opts.safe ? { safe: opts.safe } : {}),
    findings: opts.findings ?? [],
    dedupKey: opts.dedupKey,
    createdAt: new Date(opts.now).toISOString(),
  }
}
