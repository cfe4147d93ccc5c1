import type { Alert } from '../model/alert.js'
import { clip as cut } from '../model/text.js'
import { ACTION_LABELS, buttonId, chatActions, hasButtons } from './chat.js'
import { defang } from './defang.js'

// How an alert looks in Telegram: HTML within sendMessage's limits, and its inline keyboard.

/** sendMessage's limit, counted after entity parsing: the HTML we count is never shorter. */
export const MAX_TEXT = 4096
/** The most one line (a summary, a finding) may take once escaped. */
const MAX_LINE = 1200
const TOP_FINDINGS = 5
const TOP_CHANGES = 10

type Button = { text: string; callback_data: string } | { text: string; url: string }
export type Keyboard = Button[][]

/** The buttons: the actions while the proposal is open, and the report whenever there is one. */
export function keyboard(alert: Alert, open: boolean): Keyboard {
  const rows: Keyboard = []
  if (open && hasButtons(alert) && alert.ref) {
    const ref = alert.ref
    rows.push(chatActions(alert).map((a) => ({ text: ACTION_LABELS[a], callback_data: buttonId(a, ref) })))
  }
  const link = httpLink(alert.link)
  if (link) rows.push([{ text: 'Report', url: link }])
  return rows
}

export type Seg = { text: string; tag?: 'b' | 'i' | 'code' | 'a'; href?: string }
export type Line = Seg[]

const escapeRaw = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
/** Text: escaped, and defanged so that untrusted text cannot become a link. */
export const escapeHtml = (s: string) => escapeRaw(defang(s))
const escapeAttr = (s: string) => escapeRaw(s).replace(/"/g, '&quot;')

/**
 * The alert as Telegram HTML, at most 4096 characters. The state lines (executed, who
 * acknowledged) are kept whatever the alert's size: the alert is what gets cut.
 */
export function telegramText(alert: Alert, state: string[]): string {
  const tail = renderLines(
    state.map((l) => [{ text: cut(l, 300) }]),
    1000,
  )
  const head = renderLines(alertLines(alert), MAX_TEXT - (tail ? tail.length + 2 : 0))
  return tail ? `${head}\n\n${tail}` : head
}

function alertLines(alert: Alert): Line[] {
  const lines: Line[] = [[{ tag: 'b', text: cut(alert.title, 300) }], [{ text: cut(alert.summary, 1200) }]]
  if (alert.safe || alert.hashes) lines.push([])
  if (alert.safe)
    lines.push([
      { text: 'Safe ' },
      { tag: 'code', text: alert.safe },
      ...(alert.chainId !== undefined ? [{ text: ` on chain ${alert.chainId}` }] : []),
    ])
  if (alert.hashes)
    for (const [name, value] of Object.entries(alert.hashes))
      lines.push([{ text: `${name} ` }, { tag: 'code', text: cut(value, 100) }])
  const list = (title: string, items: string[] | undefined, top: number) => {
    if (!items?.length) return
    lines.push(
      [],
      [{ tag: 'b', text: title }],
      ...items.slice(0, top).map((i) => [{ text: `• ${cut(i, 300)}` }]),
    )
    if (items.length > top) lines.push([{ tag: 'i', text: `… ${items.length - top} more` }])
  }
  list('Moves', alert.assetChanges, TOP_CHANGES)
  list('Safe changes', alert.safeChanges, TOP_CHANGES)
  if (alert.findings.length > 0) {
    lines.push([], [{ tag: 'b', text: 'Findings' }])
    for (const f of alert.findings.slice(0, TOP_FINDINGS))
      lines.push([
        { text: '• ' },
        { tag: 'b', text: cut(f.severity, 20) },
        { text: ' ' },
        { tag: 'code', text: cut(`${f.guard}/${f.code}`, 100) },
        { text: `: ${cut(f.message, 400)}` },
      ])
    if (alert.findings.length > TOP_FINDINGS)
      lines.push([{ tag: 'i', text: `… ${alert.findings.length - TOP_FINDINGS} more` }])
  }
  return lines
}

/** Renders lines until `max` is reached, then ends with `…`: never inside a tag or an entity. */
export function renderLines(lines: Line[], max: number): string {
  let out = ''
  for (const line of lines) {
    const sep = out ? '\n' : ''
    const room = max - out.length - sep.length
    // No one line may crowd out the rest: a long summary is cut, the findings still show.
    const { html, cut: wasCut } = renderLine(line, Math.min(room, MAX_LINE))
    out += sep + html
    if (wasCut && room <= MAX_LINE) return out
  }
  return out
}

function renderLine(line: Line, max: number): { html: string; cut: boolean } {
  let html = ''
  for (const seg of line) {
    const open = seg.tag === 'a' ? `<a href="${escapeAttr(seg.href ?? '')}">` : seg.tag ? `<${seg.tag}>` : ''
    const close = seg.tag ? `</${seg.tag}>` : ''
    const whole = `${open}${escapeHtml(seg.text)}${close}`
    if (html.length + whole.length <= max) {
      html += whole
      continue
    }
    // Cut on the raw text, one code point at a time, so an entity is never split.
    const room = max - html.length - open.length - close.length - 1
    let inner = ''
    for (const ch of seg.text) {
      const e = escapeHtml(ch)
      if (inner.length + e.length > room) break
      inner += e
    }
    if (inner) html += `${open}${inner}${close}`
    if (html.length + 1 <= max) html += '…'
    return { html, cut: true }
  }
  return { html, cut: false }
}

export function httpLink(link: string | undefined): string | undefined {
  if (!link) return undefined
  try {
    const u = new URL(link)
    return u.protocol === 'https:' || u.protocol === 'http:' ? link : undefined
  } catch {
    return undefined
  }
}
