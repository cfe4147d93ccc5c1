import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

describe('structured logs', () => {
  it('are JSON lines on stderr with secrets censored', () => {
    const root = join(import.meta.dirname, '../..')
    const script = `import { createLogger } from './dist/src/cli/logger.js'
      const log = createLogger('info')
      log.info({ apiKey: 'sk-live-1', chain: { rpcUrl: 'https://x/v2/KEY', token: 't0k' }, safe: '0xabc' }, 'hello')`
    const r = spawnSync('node', ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })
    const line = JSON.parse(r.stderr.trim().split('\n')[0] ?? '{}')
    expect(line).toMatchObject({
      msg: 'hello',
      app: 'custos',
      safe: '0xabc',
      apiKey: '[redacted]',
      chain: { rpcUrl: '[redacted]', token: '[redacted]' },
    })
    expect(r.stderr).not.toMatch(/sk-live-1|KEY|t0k/)
  })
})
