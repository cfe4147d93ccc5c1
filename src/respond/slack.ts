import type { Alert, EscalationNotice, ProposalUpdate, UpdateEvent } from '../model/alert.js'
import type { Level } from '../model/severity.js'
import { clip as clipText } from '../model/text.js'
import { defang } from './defang.js'
import { type Notifier, postJson, withoutSecret } from './notifier.js'

// Slack's Block Kit limits (https://api.slack.com/reference/block-kit/blocks): a message over
// any of them is refused with `invalid_blocks`, so everything is cut to fit instead.
const MAX_BLOCKS = 50
const HEADER = 150
const SECTION = 3000
const FIELDS = 10
const FIELD = 2000
const BUTTON_URL = 3000
const TOP_FINDINGS = 5

/** Events worth a line: an incoming webhook cannot edit the alert it posted, so it says what changed. */
const UPDATE_EVENTS: ReadonlySet<UpdateEvent> = new Set([
  'executed',
  'failed',
  'replaced',
  'deleted',
  'vetoed',
  'acknowledged',
  'veto-requested',
  'resolved',
  'paused',
  'approved',
  'scheduled',
])

type Block = Record<string, unknown>

/**
 * Posts alerts to a Slack incoming webhook as Block Kit messages. Incoming webhooks can neither
 * edit nor DM, so proposal updates become one-line follow-ups and the mention rung of the
 * escalation ladder becomes an `@here`.
 */
export function createSlackNotifier(opts: {
  name: string
  url: string
  minLevel: Level
  timeoutMs?: number
}): Notifier {
  const what = `slack ${opts.name}`
  const post = async (body: { text: string; blocks?: Block[] }) => {
    try {
      // Slack answers a good post with 200 and the body `ok`; anything else is an error.
      await postJson(what, opts.url, body, {
        ok: (_status, text) => text.trim() === 'ok',
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      })
    } catch (error) {
      throw withoutSecret(error, opts.url)
    }
  }
  return {
    channel: `slack:${opts.name}`,
    minLevel: opts.minLevel,
    accepts: (p) => (p.kind === 'escalation' ? p.stage === 'mention' : UPDATE_EVENTS.has(p.event)),
    async deliver(payload) {
      if (payload.kind === 'update') await post(updateMessage(payload))
      else if (payload.kind === 'escalation') await post(mentionMessage(payload))
      else await post(alertMessage(payload))
      return undefined
    },
  }
}

/** Slack's mrkdwn control characters; everything else in user text is shown as is. */
export const escapeMrkdwn = (s: string) =>
  defang(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Escapes and cuts `raw` to at most `max` characters (Slack's escaping by default). */
export const clip = (raw: string, max: number, esc: (s: string) => string = escapeMrkdwn): string =>
  clipText(raw, max, esc)

const plain = (s: string) => s

function alertMessage(alert: Alert): { text: string; blocks: Block[] } {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(alert.title, HEADER, plain), emoji: true } },
    section(alert.summary),
  ]
  const fields = [
    ...(alert.safe ? [field('Safe', alert.safe)] : []),
    ...(alert.chainId !== undefined ? [field('Chain', String(alert.chainId))] : []),
    ...(alert.hashes
      ? [
          field('safeTxHash', alert.hashes.safeTxHash),
          field('domainHash', alert.hashes.domainHash),
          field('messageHash', alert.hashes.messageHash),
        ]
      : []),
  ].slice(0, FIELDS)
  if (fields.length > 0) blocks.push({ type: 'section', fields })
  if (alert.assetChanges?.length) blocks.push(listSection('Moves', alert.assetChanges))
  if (alert.safeChanges?.length) blocks.push(listSection('Safe changes', alert.safeChanges))
  if (alert.findings.length > 0) {
    const top = alert.findings
      .slice(0, TOP_FINDINGS)
      .map(
        (f) =>
          `• *${clip(f.severity, 20)}* \`${clip(`${f.guard}/${f.code}`, 100)}\`: ${clip(f.message, 400)}`,
      )
    const hidden = Math.max(0, alert.findings.length - TOP_FINDINGS)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: list('Findings', top, hidden) } })
  }
  const link = httpLink(alert.link)
  if (link) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'custos-report',
          text: { type: 'plain_text', text: 'Open report' },
          url: link,
        },
      ],
    })
  }
  return { text: clip(`${alert.title}: ${alert.summary}`, SECTION), blocks: blocks.slice(0, MAX_BLOCKS) }
}

function mentionMessage(n: EscalationNotice): { text: string } {
  const minutes = Math.round(n.unacknowledgedSeconds / 60)
  const names = n.signers.map((s) => s.name).join(', ')
  const link = httpLink(n.link)
  const text = [
    `<!here> unacknowledged for ${minutes} min: *${clip(n.title, HEADER)}*`,
    ...(names ? [`Signers: ${clip(names, 1000)}`] : []),
    ...(link ? [`<${link}|Open report>`] : []),
  ].join('\n')
  return { text }
}

function updateMessage(u: ProposalUpdate): { text: string; blocks: Block[] } {
  const text = clip(u.text, SECTION)
  return { text, blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text }] }] }
}

const section = (raw: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(raw, SECTION) },
})

const field = (label: string, value: string) => ({
  type: 'mrkdwn',
  text: `*${label}*\n\`${clip(value, FIELD - label.length - 8)}\``,
})

const listSection = (label: string, items: string[]): Block => ({
  type: 'section',
  text: {
    type: 'mrkdwn',
    text: list(
      label,
      items.map((i) => `• ${clip(i, 500)}`),
    ),
  },
})

/**
 * A titled list of already escaped lines, dropping the ones that do not fit; `… N more` counts
 * them and the `hidden` items that were never lines.
 */
function list(title: string, lines: string[], hidden = 0): string {
  let out = `*${title}*`
  for (const [i, line] of lines.entries()) {
    const left = lines.length - i - 1 + hidden
    // Room is kept for the `… N more` line that stands for whatever is left out.
    if (out.length + 1 + line.length > SECTION - (left > 0 ? 20 : 0)) return `${out}\n… ${left + 1} more`
    out += `\n${line}`
  }
  return hidden > 0 ? `${out}\n… ${hidden} more` : out
}

/** Only a web link becomes a button; anything else (a `javascript:` URL, a path) is left out. */
function httpLink(link: string | undefined): string | undefined {
  if (!link || link.length > BUTTON_URL) return undefined
  try {
    const u = new URL(link)
    return u.protocol === 'https:' || u.protocol === 'http:' ? link : undefined
  } catch {
    return undefined
  }
}
