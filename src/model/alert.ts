import type { Level } from './severity.js'

/** What a notifier sends: self-contained, so a queued alert can be delivered after a restart. */
export type Alert = {
  kind: 'report' | 'event' | 'health'
  level: Level
  /** e.g. `CRITICAL · Treasury · nonce 12`. */
  title: string
  /** One line saying what the transaction does (or what happened). */
  summary: string
  chainId?: number
  safe?: string
  proposalId?: string
  hashes?: { domainHash: string; messageHash: string; safeTxHash: string }
  /** The worst findings first. */
  findings: Array<{ severity: string; guard: string; code: string; message: string }>
  /** Rendered lines, e.g. `1.5 ETH 0xSafe → 0xBob`. */
  assetChanges?: string[]
  safeChanges?: string[]
  /** The report page. */
  link?: string
  dedupKey: string
  createdAt: string
}
