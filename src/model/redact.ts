/**
 * Hides what may be a secret in a URL (API keys live in paths, queries and userinfo), keeping
 * the scheme and host so the message still says which endpoint failed.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    const hidden = u.pathname.length > 1 || u.search !== '' || u.username !== '' || u.password !== ''
    return `${u.protocol}//${u.host}${hidden ? '/…' : ''}`
  } catch {
    return '<invalid url>'
  }
}

/** An error as one line fit for logs, alerts and health pages: first line only, URLs redacted. */
export function errorText(error: unknown): string {
  const remote = transportFailure(error)
  if (remote) return remote
  const message =
    error instanceof Error
      ? ((error as { shortMessage?: string }).shortMessage ?? error.message)
      : String(error)
  return redactUrls(message.split('\n')[0] ?? message).slice(0, 500)
}

/** Replaces every URL in a free-text message with its redacted form. */
export const redactUrls = (text: string): string =>
  text.replace(/\b(?:https?|wss?):\/\/[^\s"'<>)]+/g, (m) => {
    // Punctuation after a URL ends the sentence, not the URL.
    const tail = /[.,:;]+$/.exec(m)?.[0] ?? ''
    return redactUrl(m.slice(0, m.length - tail.length)) + tail
  })

// What the operating system said, in words an operator acts on.
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate for another host',
}

type Causal = {
  name?: string
  code?: unknown
  status?: unknown
  url?: unknown
  cause?: unknown
  message?: unknown
}

/**
 * An RPC transport failure (viem's HTTP, WebSocket and timeout errors, at any depth of the cause
 * chain) as `RPC <endpoint, redacted>: <cause>`: connection refused, timed out, HTTP 401…
 * Undefined for anything else, such as a revert, which is the node answering.
 */
export function transportFailure(error: unknown): string | undefined {
  let e = error as Causal | undefined
  for (let depth = 0; e && typeof e === 'object' && depth < 12; depth++, e = e.cause as Causal) {
    if (typeof e.url !== 'string') continue
    const where = `RPC ${redactUrl(e.url)}`
    if (e.name === 'TimeoutError') return `${where}: no answer (timed out)`
    if (
      e.name === 'HttpRequestError' ||
      e.name === 'WebSocketRequestError' ||
      e.name === 'SocketClosedError'
    ) {
      if (typeof e.status === 'number') return `${where}: HTTP ${e.status}`
      return `${where}: ${networkCause(e.cause) ?? (e.name === 'SocketClosedError' ? 'socket closed' : 'request failed')}`
    }
  }
  return undefined
}

function networkCause(error: unknown): string | undefined {
  let e = error as Causal | undefined
  for (let depth = 0; e && typeof e === 'object' && depth < 8; depth++, e = e.cause as Causal) {
    if (typeof e.code === 'string' && NETWORK_CODES[e.code]) return NETWORK_CODES[e.code]
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code
    if (typeof e.message === 'string' && /^bad port$/.test(e.message)) return 'port not allowed'
  }
  return undefined
}
