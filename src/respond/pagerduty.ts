import { createHash } from 'node:crypto'
import type { Alert, EscalationNotice, OutboxPayload } from '../model/alert.js'
import type { Level } from '../model/severity.js'
import { clip as cut } from '../model/text.js'
import { type Notifier, postJson, withoutSecret } from './notifier.js'

// PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).

const DEFAULT_URL = 'https://events.pagerduty.com/v2/enqueue'
const SUMMARY = 1024
const DEDUP_KEY = 255
const TOP_FINDINGS = 10

type Severity = 'critical' | 'error' | 'warning' | 'info'
const SEVERITY: Record<Level, Severity> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
  none: 'info',
}

/**
 * Pages through PagerDuty: alerts at or above `minLevel` and the page rung of the escalation
 * ladder trigger, and an update that settles the proposal (acknowledged, executed, gone)
 * resolves. All of them share one dedup key per proposal, so PagerDuty folds a proposal's
 * alerts and pages into one incident and the resolve closes that incident.
 */
export function createPagerDutyNotifier(opts: {
  routingKey: string
  minLevel: Level
  url?: string
  timeoutMs?: number
}): Notifier {
  const url = opts.url ?? DEFAULT_URL
  return {
    channel: 'pagerduty',
    minLevel: opts.minLevel,
    accepts: (p) => (p.kind === 'escalation' ? p.stage === 'page' : p.resolves === true),
    async deliver(payload) {
      const event = { routing_key: opts.routingKey, ...pagerDutyEvent(payload) }
      try {
        // PagerDuty sends no Retry-After on 429: the outbox's exponential backoff paces retries.
        await postJson('pagerduty', url, event, opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {})
      } catch (error) {
        throw withoutSecret(error, opts.routingKey)
      }
      return undefined
    },
  }
}

/** The event for a payload, without the routing key. */
export function pagerDutyEvent(payload: OutboxPayload): Record<string, unknown> {
  if (payload.kind === 'update') {
    return { event_action: 'resolve', dedup_key: pagerDutyDedupKey(payload.proposalId) }
  }
  if (payload.kind === 'escalation') return page(payload)
  return trigger(payload)
}

/** One key per proposal (`custos:<proposalId>`), hashed when longer than PagerDuty's 255. */
export function pagerDutyDedupKey(id: string): string {
  const key = `custos:${id}`
  return key.length <= DEDUP_KEY ? key : `custos:${createHash('sha256').update(id).digest('hex')}`
}

function trigger(alert: Alert) {
  return {
    event_action: 'trigger',
    dedup_key: pagerDutyDedupKey(alert.proposalId ?? alert.dedupKey),
    payload: {
      summary: cut(`${alert.title}: ${alert.summary}`, SUMMARY),
      source: 'custos',
      severity: SEVERITY[alert.level],
      timestamp: alert.createdAt,
      ...context(alert),
      class: alert.kind,
      custom_details: {
        findings: alert.findings.slice(0, TOP_FINDINGS).map((f) => ({
          ...f,
          message: cut(f.message, 500),
        })),
        ...(alert.findings.length > TOP_FINDINGS
          ? { moreFindings: alert.findings.length - TOP_FINDINGS }
          : {}),
        ...(alert.hashes ? { hashes: alert.hashes } : {}),
        ...(alert.link ? { link: alert.link } : {}),
        ...(alert.assetChanges
          ? { assetChanges: alert.assetChanges.slice(0, 50).map((c) => cut(c, 300)) }
          : {}),
        ...(alert.safeChanges ? { safeChanges: alert.safeChanges.slice(0, 50).map((c) => cut(c, 300)) } : {}),
      },
    },
    ...links(alert.link),
  }
}

function page(n: EscalationNotice) {
  const minutes = Math.round(n.unacknowledgedSeconds / 60)
  return {
    event_action: 'trigger',
    dedup_key: pagerDutyDedupKey(n.proposalId),
    payload: {
      summary: cut(`Unacknowledged for ${minutes} min: ${n.title}`, SUMMARY),
      source: 'custos',
      severity: SEVERITY[n.level],
      timestamp: n.createdAt,
      ...context(n),
      class: 'escalation',
      custom_details: {
        summary: cut(n.summary, 1000),
        round: n.round,
        signers: n.signers.map((s) => `${s.name} (${s.address})`),
        ...(n.link ? { link: n.link } : {}),
      },
    },
    ...links(n.link),
  }
}

const context = (p: { safe?: string; chainId?: number }) => ({
  ...(p.safe ? { component: p.safe } : {}),
  ...(p.chainId !== undefined ? { group: String(p.chainId) } : {}),
})

const links = (link: string | undefined) => (link ? { links: [{ href: link, text: 'custos report' }] } : {})
