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
  /**
   * Short reference of the proposal (see `proposalRef`): what chat buttons carry, because
   * Discord's custom ids (100) and Telegram's callback data (64 bytes) cannot hold the id.
   */
  ref?: string
  hashes?: { domainHash: string; messageHash: string; safeTxHash: string }
  /** The worst findings first. */
  findings: Array<{ severity: string; guard: string; code: string; message: string }>
  /** Rendered lines, e.g. `1.5 ETH 0xSafe → 0xBob`. */
  assetChanges?: string[]
  safeChanges?: string[]
  /** The report page. */
  link?: string
  /** A protocol check's alert: the pause a signer may press (the button says Pause, not Veto). */
  pause?: string
  /** The Safe runs the custos Guard with custos as guardian: a signer may press Approve too. */
  guarded?: true
  dedupKey: string
  createdAt: string
}

/** Something happened to a proposal: chat messages about it are redrawn, pages may be resolved. */
export type ProposalUpdate = {
  kind: 'update'
  proposalId: string
  ref: string
  event: UpdateEvent
  /** One line for channels that cannot edit (e.g. `acknowledged by alice (0xAbc…)`). */
  text: string
  /** True when nobody needs to be chased any more (acknowledged, veto asked, executed, gone). */
  resolves: boolean
  dedupKey: string
  createdAt: string
}

export type UpdateEvent =
  | 'acknowledged'
  | 'veto-requested'
  | 'escalated'
  | 'executed'
  | 'failed'
  | 'replaced'
  | 'deleted'
  | 'vetoed'
  | 'cleared'
  /** A protocol check passes again: its episode is over. */
  | 'resolved'
  /** custos sent (or in a dry run would have sent) a protocol's pause. */
  | 'paused'
  /** custos approved it on the custos Guard: it can run now. */
  | 'approved'
  /** custos scheduled it on the custos Guard: it can run after the delay unless cancelled. */
  | 'scheduled'

/** A signer to chase, with the identities chat channels know them by. */
export type SignerContact = { name: string; address: string; discord?: string; telegram?: number }

/** A rung of the escalation ladder: mention and DM the signers, or page. */
export type EscalationNotice = {
  kind: 'escalation'
  stage: 'mention' | 'page'
  /** 1 for the first time round the ladder. */
  round: number
  proposalId: string
  ref: string
  level: Level
  title: string
  summary: string
  link?: string
  chainId?: number
  safe?: string
  signers: SignerContact[]
  /** A direct message to this Discord user instead of the channel mention (one row per signer). */
  dmTo?: string
  /** How long the alert has gone unacknowledged (s). */
  unacknowledgedSeconds: number
  dedupKey: string
  createdAt: string
}

/** Everything the outbox carries. */
export type OutboxPayload = Alert | ProposalUpdate | EscalationNotice

export const isAlert = (p: OutboxPayload): p is Alert =>
  p.kind === 'report' || p.kind === 'event' || p.kind === 'health'
