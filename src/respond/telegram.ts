import type { Alert, EscalationNotice, ProposalUpdate } from '../model/alert.js'
import type { Level } from '../model/severity.js'
import { clip as cut } from '../model/text.js'
import { type ChatStore, isClosed, stateLines } from './chat.js'
import { DeliveryError, type Notifier, postJson, withoutSecret } from './notifier.js'
import {
  httpLink,
  keyboard,
  type Line,
  MAX_TEXT,
  renderLines,
  type Seg,
  telegramText,
} from './telegram-render.js'

// Telegram Bot API (https://core.telegram.org/bots/api). The token is part of every URL, so no
// URL is ever put in an error message, and the token is cut out of whatever text comes back.

export const DEFAULT_API = 'https://api.telegram.org'

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
