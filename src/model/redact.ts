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
  const message =
    error instanceof Error
      ? ((error as { shortMessage?: string }).shortMessage ?? error.message)
      : String(error)
  return redactUrls(message.split('\n')[0] ?? message).slice(0, 500)
}

/** Replaces every URL in a free-text message with its redacted form. */
export const redactUrls = (text: string): string =>
  text.replace(/\b(?:https?|wss?):\/\/[^\s"'<>)]+/g, (m) => redactUrl(m))
