import { type Logger, silentLogger } from '../model/logger.js'
import { errorText, redactUrls } from '../model/redact.js'
import { type Press, type PressResult, parseButtonId } from './chat.js'
import { DeliveryError } from './notifier.js'
import { DEFAULT_API } from './telegram.js'

// Telegram's inline buttons, answered by long-polling getUpdates.

const ANSWER_TEXT = 200

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
