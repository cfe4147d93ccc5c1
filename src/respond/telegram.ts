import type { Alert, EscalationNotice, ProposalUpdate } from '../model/alert.js'
import { type Logger, silentLogger } from '../model/logger.js'
import { errorText, redactUrls } from '../model/redact.js'
import type { Level } from '../model/severity.js'
import {
  buttonId,
  CHAT_ACTIONS,
  type ChatStore,
  hasButtons,
  isClosed,
  type Press,
  type PressResult,
  parseButtonId,
  stateLines,
} from './chat.js'
import { defang } from './defang.js'
import { cutText, DeliveryError, type Notifier, postJson, withoutSecret } from './notifier.js'

// Telegram Bot API (https://core.telegram.org/bots/api). The token is part of every URL, so no
// URL is ever put in an error message, and the token is cut out of whatever text comes back.

const DEFAULT_API = 'https://api.telegram.org'
/** sendMessage's limit, counted after entity parsing: the HTML we count is never shorter. */
const MAX_TEXT = 4096
/** The most one line (a summary, a finding) may take once escaped. */
const MAX_LINE = 1200
const ANSWER_TEXT = 200
const TOP_FINDINGS = 5
const TOP_CHANGES = 10

type Button = { text: string; callback_data: string } | { text: string; url: string }
type Keyboard = Button[][]
type SentMessage = { message_id: number; chat: { id: number } }

/**
 * Posts alerts to a Telegram chat, with Acknowledge / Escalate / Veto buttons while the proposal
 * is open, and redraws those messages when the proposal changes (who acknowledged, executed).
 */
export function createTelegramNotifier(opts: {
  token: string
  chatId: number | string
  minLevel: Level
  apiUrl?: string
  chat: ChatStore
  /** Whether custos answers the buttons (getUpdates): without it, only the report link is shown. */
  buttons?: boolean
  timeoutMs?: number
}): Notifier {
  const actions = opts.buttons ?? true
  const base = opts.apiUrl ?? DEFAULT_API
  const call = async <T>(method: string, body: object): Promise<T> => {
    try {
      const { text } = await postJson(`telegram ${method}`, `${base}/bot${opts.token}/${method}`, body, {
        ok: (_status, text) => parseOk(text),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      })
      return (JSON.parse(text) as { result: T }).result
    } catch (error) {
      throw withoutSecret(error, opts.token)
    }
  }
  const stateOf = async (proposalId: string | undefined) =>
    proposalId ? await opts.chat.state(proposalId) : undefined

  const sendAlert = async (alert: Alert) => {
    const state = await stateOf(alert.proposalId)
    const rows = keyboard(alert, actions && (state ? !isClosed(state) : true))
    const sent = await call<SentMessage>('sendMessage', {
      ...common(opts.chatId, telegramText(alert, state ? stateLines(state) : [])),
      ...(rows.length > 0 ? { reply_markup: { inline_keyboard: rows } } : {}),
    })
    return { ref: `${sent.chat.id}:${sent.message_id}` }
  }

  // Every message about the proposal is redrawn; one that cannot be (deleted in the chat) does
  // not stop the others, and edits are idempotent, so a retry simply redraws them all again.
  const redraw = async (update: ProposalUpdate) => {
    const state = await opts.chat.state(update.proposalId)
    let failed: DeliveryError | undefined
    for (const m of await opts.chat.messages(update.proposalId, 'telegram')) {
      const alert = m.payload as Alert
      const at = m.ref.lastIndexOf(':')
      const chatId = m.ref.slice(0, at)
      try {
        await call('editMessageText', {
          ...common(/^-?\d+$/.test(chatId) ? Number(chatId) : chatId, telegramText(alert, stateLines(state))),
          message_id: Number(m.ref.slice(at + 1)),
          // An empty keyboard removes the buttons once nothing can be done any more.
          reply_markup: { inline_keyboard: keyboard(alert, actions && !isClosed(state)) },
        })
      } catch (error) {
        // Unchanged, or deleted in the chat: nothing to redraw, and no reason to give up on the rest.
        if (
          error instanceof DeliveryError &&
          /message is not modified|message to edit not found/.test(error.message)
        )
          continue
        if (!(error instanceof DeliveryError) || !error.permanent) throw error
        failed ??= error
      }
    }
    if (failed) throw failed
  }

  const mention = async (n: EscalationNotice) => {
    const minutes = Math.round(n.unacknowledgedSeconds / 60)
    const tagged = n.signers.filter((s) => s.telegram !== undefined)
    const lines: Line[] = [
      [{ text: `🔔 Unacknowledged for ${minutes} min: ` }, { tag: 'b', text: cut(n.title, 300) }],
    ]
    if (tagged.length > 0)
      lines.push(
        tagged.flatMap((s, i): Seg[] => [
          ...(i > 0 ? [{ text: ', ' }] : []),
          { tag: 'a', href: `tg://user?id=${s.telegram}`, text: cut(s.name, 64) },
        ]),
      )
    const link = httpLink(n.link)
    await call('sendMessage', {
      ...common(opts.chatId, renderLines(lines, MAX_TEXT)),
      ...(link ? { reply_markup: { inline_keyboard: [[{ text: 'Report', url: link }]] } } : {}),
    })
  }

  return {
    channel: 'telegram',
    minLevel: opts.minLevel,
    accepts: (p) => p.kind === 'update' || p.stage === 'mention',
    async deliver(payload) {
      if (payload.kind === 'update') await redraw(payload)
      else if (payload.kind === 'escalation') await mention(payload)
      else return await sendAlert(payload)
      return undefined
    },
  }
}

const common = (chatId: number | string, text: string) => ({
  chat_id: chatId,
  text,
  parse_mode: 'HTML',
  link_preview_options: { is_disabled: true },
})

const parseOk = (text: string) => {
  try {
    return (JSON.parse(text) as { ok?: unknown }).ok === true
  } catch {
    return false
  }
}

/** The buttons: the actions while the proposal is open, and the report whenever there is one. */
export function keyboard(alert: Alert, open: boolean): Keyboard {
  const rows: Keyboard = []
  if (open && hasButtons(alert) && alert.ref) {
    const ref = alert.ref
    const label = { ack: 'Acknowledge', escalate: 'Escalate', veto: 'Veto' } as const
    rows.push(CHAT_ACTIONS.map((a) => ({ text: label[a], callback_data: buttonId(a, ref) })))
  }
  const link = httpLink(alert.link)
  if (link) rows.push([{ text: 'Report', url: link }])
  return rows
}

// ---- Text ----------------------------------------------------------------------------------

type Seg = { text: string; tag?: 'b' | 'i' | 'code' | 'a'; href?: string }
type Line = Seg[]

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
function renderLines(lines: Line[], max: number): string {
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

const cut = cutText

function httpLink(link: string | undefined): string | undefined {
  if (!link) return undefined
  try {
    const u = new URL(link)
    return u.protocol === 'https:' || u.protocol === 'http:' ? link : undefined
  } catch {
    return undefined
  }
}

// ---- Button presses ------------------------------------------------------------------------

type Update = {
  update_id: number
  callback_query?: {
    id: string
    from: { id: number; username?: string; first_name: string }
    data?: string
  }
}

/**
 * Answers the inline buttons by long-polling getUpdates. The offset is saved after each update,
 * so a restart neither loses a press nor handles one twice (a replay is still caught by onPress,
 * which reports it as a duplicate and gets no answer).
 */
export function createTelegramCallbacks(opts: {
  token: string
  apiUrl?: string
  onPress: (p: Press) => Promise<PressResult>
  offset: { load(): Promise<number | undefined>; save(n: number): Promise<void> }
  pollTimeoutSeconds?: number
  logger?: Logger
}): { start(): void; stop(): Promise<void> } {
  const base = opts.apiUrl ?? DEFAULT_API
  const log = opts.logger ?? silentLogger
  const timeout = opts.pollTimeoutSeconds ?? 25
  let controller: AbortController | undefined
  let loop: Promise<void> | undefined

  const api = <T>(method: string, body: object, signal?: AbortSignal, timeoutMs = 10_000) =>
    callTelegram<T>(base, opts.token, method, body, signal, timeoutMs)

  const answer = async (id: string, text: string, alert: boolean) => {
    // Not tied to stop(): a press being handled when the loop stops still gets its answer.
    await api('answerCallbackQuery', {
      callback_query_id: id,
      text: Array.from(text).slice(0, ANSWER_TEXT).join(''),
      show_alert: alert,
    }).catch((error) => log.warn({ error: errorText(error) }, 'telegram answerCallbackQuery failed'))
  }

  const handle = async (u: Update) => {
    const q = u.callback_query
    if (!q) return
    const button = q.data ? parseButtonId(q.data) : undefined
    if (!button) return await answer(q.id, 'unknown button', false)
    let result: PressResult
    try {
      result = await opts.onPress({
        channel: 'telegram',
        interactionId: q.id,
        user: { id: String(q.from.id), name: q.from.username ?? q.from.first_name },
        action: button.action,
        ref: button.ref,
      })
    } catch (error) {
      // Not retried: a press that keeps failing would block every later one. The user can press again.
      log.error({ error: errorText(error), update: u.update_id }, 'telegram button press failed')
      return await answer(q.id, 'Something went wrong: please press again.', true)
    }
    if (result.outcome !== 'duplicate') await answer(q.id, result.message, result.outcome === 'refused')
  }

  const run = async (signal: AbortSignal) => {
    let offset = await opts.offset.load()
    let backoff = 1000
    while (!signal.aborted) {
      try {
        const updates = await api<Update[]>(
          'getUpdates',
          { ...(offset !== undefined ? { offset } : {}), timeout, allowed_updates: ['callback_query'] },
          signal,
          (timeout + 10) * 1000,
        )
        backoff = 1000
        for (const u of updates) {
          if (signal.aborted) return
          await handle(u)
          offset = u.update_id + 1
          await opts.offset.save(offset)
        }
      } catch (error) {
        if (signal.aborted) return
        // Telegram's own retry_after is the wait; otherwise 1 s, doubling up to 30 s.
        const asked = error instanceof DeliveryError ? error.retryAfterMs : undefined
        const wait = asked ?? backoff
        if (asked === undefined) backoff = Math.min(backoff * 2, 30_000)
        log.warn({ error: errorText(error), retryInMs: wait }, 'telegram getUpdates failed')
        await sleep(wait, signal)
      }
    }
  }

  return {
    start() {
      if (loop) return
      const c = new AbortController()
      controller = c
      loop = run(c.signal)
        .catch((error) => log.error({ error: errorText(error) }, 'telegram callbacks stopped'))
        .finally(() => {
          loop = undefined
        })
    },
    async stop() {
      controller?.abort()
      await loop
    },
  }
}

/** One Bot API call, abortable (getUpdates holds a request open for `timeout` seconds). */
async function callTelegram<T>(
  base: string,
  token: string,
  method: string,
  body: object,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<T> {
  const what = `telegram ${method}`
  const scrub = (s: string) => (token ? redactUrls(s).split(token).join('…') : redactUrls(s))
  const timer = AbortSignal.timeout(timeoutMs)
  let res: Response
  try {
    res = await fetch(`${base}/bot${token}/${method}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', 'user-agent': 'custos' },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timer]) : timer,
    })
  } catch (error) {
    throw new DeliveryError(`${what}: ${scrub((error as Error).message)}`)
  }
  const text = await res.text().catch(() => '')
  let json: { ok?: boolean; result?: T; description?: string; parameters?: { retry_after?: number } } = {}
  try {
    json = JSON.parse(text)
  } catch {
    // Not JSON (a proxy's error page): the HTTP status below says what failed.
  }
  if (res.ok && json.ok === true) return json.result as T
  const retryAfter = json.parameters?.retry_after
  throw new DeliveryError(
    `${what}: HTTP ${res.status}${json.description ? ` (${scrub(json.description.slice(0, 200))})` : ''}`,
    {
      ...(typeof retryAfter === 'number' ? { retryAfterMs: retryAfter * 1000 } : {}),
      permanent: res.status === 400,
    },
  )
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
