// Control characters (C0, DEL, C1) and bidirectional overrides, which hostile input can use to
// rewrite or reorder what a terminal or a chat client shows.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/** Text from untrusted sources (decoded strings, revert reasons, API claims), made safe to print. */
export const sanitize = (text: string): string =>
  text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
