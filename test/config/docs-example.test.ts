import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli } from '../cli/run.js'

// docs/watchdogs.md holds a complete configuration for a Chainlink-priced lending market: it
// must stay one custos accepts (signatures, constants, pause names, CEL types), so it is read
// from the page itself.

const page = readFileSync(join(import.meta.dirname, '../../docs/watchdogs.md'), 'utf8')
const example = (() => {
  const at = page.indexOf('## A complete example')
  const block = /```yaml\n([\s\S]*?)```/.exec(page.slice(at))
  if (at < 0 || !block?.[1]) throw new Error('docs/watchdogs.md has no complete example')
  return block[1]
})()

const dir = mkdtempSync(join(tmpdir(), 'custos-docs-'))
const tempFile = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('docs/watchdogs.md', () => {
  it("accepts the page's complete example", async () => {
    const r = await cli(['config', 'check', '--config', tempFile('lend.yaml', example)], {
      env: { ARBITRUM_RPC_URL: 'http://127.0.0.1:9/', CUSTOS_VETO_KEY: `0x${'11'.repeat(32)}` },
    })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })

  it('would refuse the example with an expression that does not type-check', async () => {
    const broken = example.replace('expression: reserves >= target / 2.0', 'expression: reserves >= "half"')
    expect(broken).not.toBe(example)
    const r = await cli(['config', 'check', '--config', tempFile('lend-broken.yaml', broken)], {
      env: { ARBITRUM_RPC_URL: 'http://127.0.0.1:9/', CUSTOS_VETO_KEY: `0x${'11'.repeat(32)}` },
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('protocols[0].checks[4].expression: no such overload')
  })
})
