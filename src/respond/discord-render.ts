import {
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  type APIEmbedField,
  ButtonStyle,
  ComponentType,
} from 'discord.js'
import type { Alert } from '../model/alert.js'
import type { Level } from '../model/severity.js'
import { clip } from '../model/text.js'
import {
  ACTION_LABELS,
  buttonId,
  type ChatState,
  chatActions,
  hasButtons,
  isClosed,
  stateLines,
} from './chat.js'
import { defang } from './defang.js'

// Discord's limits on one message's embeds: exceeding any of them makes Discord refuse the
// whole message, so everything is cut to fit here, never sent and hoped for.
export const LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const

const COLOURS: Record<Level, number> = {
  none: 0x2ecc71,
  info: 0x3498db,
  low: 0x5865f2,
  medium: 0xf1c40f,
  high: 0xe67e22,
  critical: 0xe74c3c,
}
const CLOSED_COLOUR = 0x95a5a6

/** Lines joined with newlines, as many whole lines as fit, then `… N more`. */
function lines(items: string[], max: number): string {
  const out: string[] = []
  let used = 0
  for (const [i, item] of items.entries()) {
    const line = clip(item, max)
    const more = items.length - i - 1
    const tail = more > 0 ? `\n… ${more} more` : ''
    if (used + line.length + 1 + tail.length > max) {
      out.push(`… ${items.length - i} more`)
      break
    }
    out.push(line)
    used += line.length + 1
  }
  return clip(out.join('\n'), max)
}

// Markdown in untrusted text (a token's symbol, a decoded string) must not render as links,
// mentions or formatting: escape it.
const escapeMd = (s: string) =>
  defang(s)
    .replace(/([\\`*_~|<>[\]()#-])/g, '\\$1')
    .replace(/@/g, '@\u200b')

const embedSize = (e: APIEmbed) =>
  (e.title?.length ?? 0) +
  (e.description?.length ?? 0) +
  (e.footer?.text.length ?? 0) +
  (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)

/** The embed for an alert, with the proposal's state (acknowledgements, execution) at its foot. */
export function alertEmbed(alert: Alert, state?: ChatState): APIEmbed {
  const closed = state ? isClosed(state) : false
  const status = state ? stateLines(state) : []
  const fields: APIEmbedField[] = []
  if (alert.hashes) {
    const h = alert.hashes
    fields.push({
      name: 'Hashes',
      value: `safeTxHash \`${h.safeTxHash}\`\ndomain \`${h.domainHash}\`\nmessage \`${h.messageHash}\``,
    })
  }
  if (alert.assetChanges?.length)
    fields.push({ name: 'Moves', value: lines(alert.assetChanges.map(escapeMd), LIMITS.fieldValue) })
  if (alert.safeChanges?.length)
    fields.push({ name: 'Safe changes', value: lines(alert.safeChanges.map(escapeMd), LIMITS.fieldValue) })
  if (alert.findings.length) {
    const items = alert.findings.map(
      (f) => `**${f.severity}** \`${f.guard}/${f.code}\` ${escapeMd(f.message)}`,
    )
    fields.push({ name: `Findings (${alert.findings.length})`, value: lines(items, LIMITS.fieldValue) })
  }
  if (status.length) fields.push({ name: 'Status', value: lines(status, LIMITS.fieldValue) })

  const embed: APIEmbed = {
    title: clip(alert.title, LIMITS.title),
    description: clip(escapeMd(alert.summary), 2000),
    color: closed ? CLOSED_COLOUR : COLOURS[alert.level],
    fields: fields.slice(0, LIMITS.fields),
    footer: { text: clip(`custos · ${alert.proposalId ?? alert.dedupKey}`, LIMITS.footer) },
    timestamp: alert.createdAt,
    ...(alert.link && /^https?:\/\//.test(alert.link) ? { url: alert.link } : {}),
  }
  // Over the total: shorten the description, then drop fields from the least important end
  // (the status stays: it is what changed).
  if (embedSize(embed) > LIMITS.total && embed.description) {
    const over = embedSize(embed) - LIMITS.total
    embed.description = clip(embed.description, Math.max(200, embed.description.length - over))
  }
  const order = ['Safe changes', 'Moves', 'Hashes']
  while (embedSize(embed) > LIMITS.total && embed.fields?.length) {
    const victim = order.find((n) => embed.fields?.some((f) => f.name === n))
    const index = victim ? embed.fields.findIndex((f) => f.name === victim) : 0
    embed.fields.splice(index, 1)
  }
  return embed
}

/** Acknowledge / Escalate / Veto (or Pause) while the proposal is open, and always the report link. */
export function alertButtons(alert: Alert, state?: ChatState): APIActionRowComponent<APIButtonComponent>[] {
  const buttons: APIButtonComponent[] = []
  if (hasButtons(alert) && !(state && isClosed(state)) && alert.ref) {
    const style = {
      ack: ButtonStyle.Primary,
      escalate: ButtonStyle.Secondary,
      veto: ButtonStyle.Danger,
      pause: ButtonStyle.Danger,
      approve: ButtonStyle.Success,
    } as const
    for (const action of chatActions(alert))
      buttons.push({
        type: ComponentType.Button,
        style: style[action],
        label: ACTION_LABELS[action],
        custom_id: buttonId(action, alert.ref),
      })
  }
  if (alert.link && /^https?:\/\//.test(alert.link) && alert.link.length <= 512)
    buttons.push({ type: ComponentType.Button, style: ButtonStyle.Link, label: 'Report', url: alert.link })
  return buttons.length ? [{ type: ComponentType.ActionRow, components: buttons }] : []
}

/** The whole message body: the embed, the buttons, and no pings from untrusted text. */
export function alertMessage(alert: Alert, state?: ChatState) {
  return {
    embeds: [alertEmbed(alert, state)],
    components: alertButtons(alert, state),
    allowed_mentions: { parse: [] as never[] },
  }
}
