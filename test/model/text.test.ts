import { describe, expect, it } from 'vitest'
import { sanitize } from '../../src/model/text.js'

describe('sanitize', () => {
  it('escapes terminal control sequences and bidi overrides, and keeps ordinary text', () => {
    expect(sanitize('ok: 0xAbC é 🚨')).toBe('ok: 0xAbC é 🚨')
    expect(sanitize('\x1b[10A\x1b[Jhidden')).toBe('\\u001b[10A\\u001b[Jhidden')
    expect(sanitize('evil\u202Egnp.exe')).toBe('evil\\u202egnp.exe')
    expect(sanitize('a\nb\r\x9b')).toBe('a\\u000ab\\u000d\\u009b')
  })
})
