import type { Level } from '../model/severity.js'

/** ANSI styling, only when writing to a terminal and NO_COLOR is unset. */
export type Style = ReturnType<typeof createStyle>

export function createStyle(enabled: boolean) {
  const wrap = (code: string) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s)
  const bold = wrap('1')
  const dim = wrap('2')
  const colors: Record<Level, (s: string) => string> = {
    none: wrap('32'),
    info: wrap('36'),
    low: wrap('34'),
    medium: wrap('33'),
    high: wrap('31'),
    critical: wrap('1;41;97'),
  }
  return {
    bold,
    dim,
    level: (level: Level, s: string) => colors[level](s),
    ok: wrap('32'),
    bad: wrap('1;31'),
  }
}
