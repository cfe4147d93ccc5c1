// Control characters (C0, DEL, C1) and bidirectional overrides, which hostile input can use to
// rewrite or reorder what a terminal or a chat client shows.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/** Text from untrusted sources (decoded strings, revert reasons, API claims), made safe to print. */
export const sanitize = (text: string): string =>
  text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/**
 * Cuts `raw` to at most `max` characters of output, ending in `…` when it was cut. With `esc`
 * (a channel's escaping), the cut is made on the raw text, so it never splits an escape such
 * as `&amp;`; it never splits a surrogate pair either.
 */
export function clip(raw: string, max: number, esc: (s: string) => string = (s) => s): string {
  const whole = esc(raw)
  if (whole.length <= max) return whole
  let out = ''
  for (const ch of raw) {
    const e = esc(ch)
    if (out.length + e.length > max - 1) break
    out += e
  }
  return `${out}…`
}
