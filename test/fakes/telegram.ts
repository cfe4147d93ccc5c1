import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// The Telegram Bot API on loopback: `/bot<token>/<method>` for sendMessage, editMessageText,
// getUpdates (long polling over a queue of injected button presses) and answerCallbackQuery.
// It refuses what Telegram refuses (a wrong token, HTML it cannot parse, text over 4096
// characters, callback data over 64 bytes, an edit that changes nothing) with Telegram's own
// `{ok:false, error_code, description}` answers.

export type InlineButton = { text?: string; callback_data?: string; url?: string }
export type ReplyMarkup = { inline_keyboard?: InlineButton[][] }
export type StoredMessage = {
  chatId: number
  messageId: number
  text: string
  replyMarkup: ReplyMarkup | undefined
  edits: number
}
export type TelegramRequest = { at: number; method: string; body: Record<string, unknown>; status: number }
export type TelegramScript = { method?: string; status: number; body: Record<string, unknown> }
export type CallbackQuery = {
  id: string
  from: { id: number; is_bot: false; first_name: string; username?: string }
  chat_instance: string
  data?: string
  message?: { message_id: number; chat: { id: number } }
}
type Update = { update_id: number; callback_query?: CallbackQuery }

const TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'code',
  'pre',
  'a',
  'tg-spoiler',
])
const ENTITY = /^&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);/

/** Telegram's HTML parse mode: the text as shown, or why Telegram cannot parse it. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = []
  let text = ''
  let i = 0
  while (i < html.length) {
    const c = html[i] as string
    if (c === '<') {
      const m = /^<(\/?)([a-zA-Z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>/.exec(html.slice(i))
      if (!m) return { error: `Can't parse entities: unclosed start tag at byte offset ${i}` }
      const [whole, slash, name = '', attrs = ''] = m
      const tag = name.toLowerCase()
      if (!TAGS.has(tag))
        return { error: `Can't parse entities: unsupported start tag "${tag}" at byte offset ${i}` }
      if (slash) {
        if (stack.pop() !== tag)
          return { error: `Can't parse entities: can't find start tag corresponding to end tag "${tag}"` }
      } else {
        if (tag === 'a') {
          const href = /href="([^"]*)"/.exec(attrs)?.[1]
          if (!href || !/^(https?:\/\/|tg:\/\/user\?id=\d+$)/.test(href.replace(/&amp;/g, '&')))
            return { error: `Can't parse entities: invalid href at byte offset ${i}` }
        }
        stack.push(tag)
      }
      i += whole.length
    } else if (c === '&') {
      const m = ENTITY.exec(html.slice(i))
      if (!m) return { error: `Can't parse entities: unsupported entity at byte offset ${i}` }
      const e = m[0]
      text +=
        e === '&lt;'
          ? '<'
          : e === '&gt;'
            ? '>'
            : e === '&amp;'
              ? '&'
              : e === '&quot;'
                ? '"'
                : String.fromCodePoint(Number(e.startsWith('&#x') ? `0x${e.slice(3, -1)}` : e.slice(2, -1)))
      i += e.length
    } else if (c === '>') {
      return { error: `Can't parse entities: unexpected end of tag at byte offset ${i}` }
    } else {
      text += c
      i++
    }
  }
  if (stack.length > 0)
    return { error: `Can't parse entities: can't find end tag corresponding to start tag "${stack.at(-1)}"` }
  return { text }
}

function markupError(markup: unknown): string | undefined {
  if (markup === undefined) return undefined
  const rows = (markup as ReplyMarkup).inline_keyboard
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) return "Bad Request: can't parse inline keyboard"
  for (const b of rows.flat()) {
    if (typeof b.text !== 'string' || b.text === '') return 'Bad Request: BUTTON_TEXT_INVALID'
    if ((b.callback_data === undefined) === (b.url === undefined)) return 'Bad Request: BUTTON_TYPE_INVALID'
    if (b.callback_data !== undefined) {
      const bytes = Buffer.byteLength(b.callback_data, 'utf8')
      if (bytes < 1 || bytes > 64) return 'Bad Request: BUTTON_DATA_INVALID'
    }
    if (b.url !== undefined && !/^(https?|tg):\/\//.test(b.url)) return 'Bad Request: BUTTON_URL_INVALID'
  }
  return undefined
}

const sameMarkup = (a: ReplyMarkup | undefined, b: ReplyMarkup | undefined) =>
  JSON.stringify(a?.inline_keyboard ?? []) === JSON.stringify(b?.inline_keyboard ?? [])

/** Starts the fake for one bot token; `knownChats`, when given, are the only chats it can post to. */
export async function startTelegramFake(opts: { token: string; knownChats?: Array<number | string> }) {
  const requests: TelegramRequest[] = []
  const script: TelegramScript[] = []
  const messages = new Map<string, StoredMessage>()
  const answers: Array<{ callback_query_id: string; text?: string; show_alert?: boolean }> = []
  const queue: Update[] = []
  const queries = new Set<string>()
  const answered = new Set<string>()
  let nextMessageId = 100
  let nextUpdateId = 5000
  let poller: { send: (status: number, out: object) => void; wake: () => void } | undefined

  const chatIdOf = (v: unknown): number | undefined => {
    if (typeof v === 'number' && Number.isInteger(v)) return v
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v)
    if (typeof v === 'string' && /^@\w+$/.test(v)) return -1001000000001
    return undefined
  }
  const known = (v: unknown) =>
    !opts.knownChats || opts.knownChats.some((k) => k === v || String(k) === String(v))

  const checkText = (body: Record<string, unknown>): string | undefined => {
    if (typeof body.text !== 'string' || body.text.trim() === '') return 'Bad Request: message text is empty'
    if (body.parse_mode !== undefined && body.parse_mode !== 'HTML')
      return 'Bad Request: unsupported parse_mode'
    const parsed = body.parse_mode === 'HTML' ? parseTelegramHtml(body.text) : { text: body.text }
    if ('error' in parsed) return `Bad Request: ${parsed.error}`
    if (parsed.text.length > 4096) return 'Bad Request: message is too long'
    return markupError(body.reply_markup)
  }

  const methods: Record<string, (body: Record<string, unknown>, reply: Reply) => void> = {
    sendMessage(body, reply) {
      const chatId = chatIdOf(body.chat_id)
      if (chatId === undefined) return reply.error(400, 'Bad Request: chat_id is empty')
      if (!known(body.chat_id)) return reply.error(400, 'Bad Request: chat not found')
      const bad = checkText(body)
      if (bad) return reply.error(400, bad)
      const m: StoredMessage = {
        chatId,
        messageId: nextMessageId++,
        text: body.text as string,
        replyMarkup: body.reply_markup as ReplyMarkup | undefined,
        edits: 0,
      }
      messages.set(`${chatId}:${m.messageId}`, m)
      reply.ok({
        message_id: m.messageId,
        chat: { id: chatId, type: chatId < 0 ? 'supergroup' : 'private' },
        date: Math.floor(Date.now() / 1000),
        text: m.text,
      })
    },
    editMessageText(body, reply) {
      const chatId = chatIdOf(body.chat_id)
      const m = messages.get(`${chatId}:${body.message_id}`)
      if (!m) return reply.error(400, 'Bad Request: message to edit not found')
      const bad = checkText(body)
      if (bad) return reply.error(400, bad)
      const markup = body.reply_markup as ReplyMarkup | undefined
      if (m.text === body.text && sameMarkup(m.replyMarkup, markup))
        return reply.error(
          400,
          'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
        )
      m.text = body.text as string
      m.replyMarkup = markup
      m.edits++
      reply.ok({ message_id: m.messageId, chat: { id: m.chatId }, text: m.text })
    },
    getUpdates(body, reply) {
      const offset = typeof body.offset === 'number' ? body.offset : undefined
      // An offset confirms every update before it: Telegram forgets them.
      if (offset !== undefined) while (queue.length && (queue[0] as Update).update_id < offset) queue.shift()
      const allowed = Array.isArray(body.allowed_updates) ? (body.allowed_updates as string[]) : undefined
      const ready = () =>
        queue.filter((u) => !allowed || allowed.some((k) => k in u)).slice(0, Number(body.limit ?? 100))
      const now = ready()
      const timeout = Math.min(Number(body.timeout ?? 0), 50)
      if (now.length > 0 || timeout <= 0) return reply.ok(now)
      // A second long poll ends the first, as Telegram does.
      poller?.send(409, {
        ok: false,
        error_code: 409,
        description:
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      })
      const timer = setTimeout(() => finish(), timeout * 1000)
      const finish = () => {
        clearTimeout(timer)
        if (poller === mine) poller = undefined
        reply.ok(ready())
      }
      const mine = {
        send: (status: number, out: object) => {
          clearTimeout(timer)
          reply.raw(status, out)
        },
        wake: finish,
      }
      poller = mine
      reply.onClose(() => {
        clearTimeout(timer)
        if (poller === mine) poller = undefined
      })
    },
    answerCallbackQuery(body, reply) {
      const id = String(body.callback_query_id)
      if (!queries.has(id) || answered.has(id))
        return reply.error(
          400,
          'Bad Request: query is too old and response timeout expired or query ID is invalid',
        )
      if (typeof body.text === 'string' && body.text.length > 200)
        return reply.error(400, 'Bad Request: MESSAGE_TOO_LONG')
      answered.add(id)
      answers.push(body as { callback_query_id: string; text?: string; show_alert?: boolean })
      reply.ok(true)
    },
  }

  type Reply = {
    ok: (result: unknown) => void
    error: (status: number, description: string, parameters?: object) => void
    raw: (status: number, out: object) => void
    onClose: (f: () => void) => void
  }
  const handle = (req: IncomingMessage, res: ServerResponse, text: string) => {
    let body: Record<string, unknown> = {}
    try {
      body = text ? JSON.parse(text) : {}
    } catch {}
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '')
    const method = m?.[2] ?? '?'
    let done = false
    const raw = (status: number, out: object) => {
      if (done) return
      done = true
      // A long poll the client gave up on (aborted) is not an answer anyone received.
      if (req.socket.destroyed) return
      requests.push({ at: Date.now(), method, body, status })
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(out))
    }
    const reply: Reply = {
      raw,
      ok: (result) => raw(200, { ok: true, result }),
      error: (status, description, parameters) =>
        raw(status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) }),
      onClose: (f) => res.on('close', () => (done ? undefined : f())),
    }
    if (!m || m[1] !== opts.token) return reply.error(401, 'Unauthorized')
    const index = script.findIndex((s) => !s.method || s.method === method)
    if (index >= 0) {
      const [s] = script.splice(index, 1)
      if (s) return raw(s.status, s.body)
    }
    const f = methods[method]
    if (!f) return reply.error(404, 'Not Found')
    f(body, reply)
  }

  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => handle(req, res, body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  /** Queues an update (a new update id unless given) and wakes a waiting long poll. */
  const inject = (update: Omit<Update, 'update_id'> & { update_id?: number }): number => {
    const u = { ...update, update_id: update.update_id ?? nextUpdateId++ }
    if (u.callback_query) queries.add(u.callback_query.id)
    queue.push(u)
    queue.sort((a, b) => a.update_id - b.update_id)
    poller?.wake()
    return u.update_id
  }

  return {
    apiUrl,
    requests,
    script,
    messages,
    answers,
    queue,
    inject,
    /** A user pressing a button: injects its callback_query and returns it. */
    press(p: { userId: number; username?: string; firstName?: string; data: string; id?: string }) {
      const q: CallbackQuery = {
        id: p.id ?? `cq${nextUpdateId}`,
        from: {
          id: p.userId,
          is_bot: false,
          first_name: p.firstName ?? 'Alice',
          ...(p.username ? { username: p.username } : {}),
        },
        chat_instance: '-42',
        data: p.data,
      }
      return { query: q, updateId: inject({ callback_query: q }) }
    },
    calls: (method: string) => requests.filter((r) => r.method === method),
    close: () => {
      poller?.wake()
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
