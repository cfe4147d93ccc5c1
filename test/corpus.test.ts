import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Level, levelRank } from '../src/model/severity.js'
import { parseServiceTx } from '../src/sources/tx-json.js'
import { inspectOffline } from './helpers/build.js'

type Case = {
  name: string
  chainId: number
  safeVersion: string
  tx: unknown
  expect: {
    hashes?: { domainHash: string; messageHash: string; safeTxHash: string }
    minLevel?: Level
    maxLevel?: Level
  }
}

// The corpus is copied into the repo so CI needs nothing outside it; the shared folder, when it
// is there, is read too, so new cases are picked up without a copy.
const dirs = [join(import.meta.dirname, 'fixtures/corpus'), join(import.meta.dirname, '../../shared/corpus')]
const files = new Map<string, string>()
for (const dir of dirs.filter(existsSync)) {
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) files.set(f, join(dir, f))
}

describe('shared corpus of real Safe transactions', () => {
  it('has cases', () => expect(files.size).toBeGreaterThanOrEqual(3))

  for (const [file, path] of files) {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Case
    it(`${file}: ${c.name}`, async () => {
      const report = await inspectOffline(parseServiceTx(c.tx), {}, c.chainId, c.safeVersion)
      if (c.expect.hashes) {
        expect({
          domainHash: report.hashes.domainHash,
          messageHash: report.hashes.messageHash,
          safeTxHash: report.hashes.safeTxHash,
        }).toEqual(c.expect.hashes)
      }
      if (c.expect.minLevel)
        expect(levelRank(report.risk.level)).toBeGreaterThanOrEqual(levelRank(c.expect.minLevel))
      if (c.expect.maxLevel) expect(levelRank(report.risk.level)).toBeLessThan(levelRank(c.expect.maxLevel))
    })
  }
})
