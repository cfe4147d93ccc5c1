import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// Production code never swallows an error silently: a catch either handles a named case or
// logs and counts the failure. This finds the catches that do nothing with what they caught
// (`.catch(() => {})`, `.catch(() => undefined)`, `catch {}` with at most a comment) and fails
// on any that is not in the list below. Each listed one carries a comment at the site, saying
// which case it is; add one here only with the same justification.

const ROOT = join(import.meta.dirname, '../..')

const ALLOWED: Record<string, string[]> = {
  'src/cli/version.ts': [
    'package.json is looked for in two places (sources, dist): a miss tries the next one',
  ],
  'src/model/events.ts': ['a log that does not decode as one ABI variant of an event is tried as the next'],
  'src/respond/telegram-callbacks.ts': [
    'an error body that is not JSON (a proxy error page): the HTTP status in the thrown error says what failed',
  ],
  'src/simulate/fork.ts': [
    'the previous start of the fork failed: its own callers got that error; the next start begins afresh',
    'no pid file: no fork was left behind',
    'a pid from the file whose process is already gone',
    'reading the fork block ahead of the first simulation failed: that simulation reads it',
  ],
  'src/simulate/upstream.ts': [
    'an upstream answer that is not JSON-RPC is relayed to anvil as it is, and not kept in the cache',
  ],
  'src/sources/multicall.ts': [
    'a view call that reverts (the contract lacks that function) or fails is undefined, as when read alone',
  ],
  'src/sources/governance-state.ts': [
    'without an archive node the deployment search fails: the pin has no deployment block',
    'a balance that cannot be read is left out of the treasury',
  ],
  'src/simulate/governance-lifecycle.ts': [
    'stopping the impersonation failed: the evm_revert right after restores the fork, or the fork is replaced',
  ],
  'src/sources/governance.ts': [
    'a log that is not a governor event is tried as a timelock event',
    'a log that is neither: not an event custos follows',
  ],
  'src/verify/claims.ts': [
    'arguments that do not decode by the claimed signature: the generic mismatch message',
  ],
  'guards/governance-param-change.ts': [
    'malformed arguments of a setter: the undecodable guard reports them',
  ],
  'src/lab/postgres.ts': [
    'no pg_config: the error thrown right after says what to install',
    'closing a connection that never opened, while waiting for the server: the connect error counts',
  ],
  'src/store/copy.ts': ['a rollback that fails after an error: the original error is rethrown'],
  'src/store/pg-schema.ts': ['a rollback that fails after an error: the original error is rethrown'],
  'src/store/postgres.ts': [
    'a rollback that fails after an error: the original error is rethrown, the connection discarded',
  ],
}

const files = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? files(join(dir, e.name))
      : /\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  )

const HANDLER = String.raw`(?:\(\s*[\w$]*\s*\)|[\w$]+)\s*=>\s*(?:\{\s*\}|undefined|null|void\s+0)`
const PATTERNS = [
  // .catch(() => {}), .catch((_e) => undefined)…
  new RegExp(String.raw`\.catch\(\s*${HANDLER}\s*\)`, 'g'),
  // .then(ok, () => {})
  new RegExp(String.raw`\.then\([^;]*?,\s*${HANDLER}\s*\)`, 'g'),
  // catch {} / catch (e) { // a comment }
  /\bcatch\s*(?:\(\s*[\w$]*\s*\))?\s*\{(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*\}/g,
]

type Site = { file: string; line: number; text: string; commented: boolean }

function silentCatches(file: string): Site[] {
  const source = readFileSync(join(ROOT, file), 'utf8')
  const lines = source.split('\n')
  const sites: Site[] = []
  for (const pattern of PATTERNS) {
    for (const m of source.matchAll(pattern)) {
      const line = source.slice(0, m.index).split('\n').length
      const around = [lines[line - 2] ?? '', m[0], lines[line - 1] ?? '']
      sites.push({
        file,
        line,
        text: m[0].replace(/\s+/g, ' ').slice(0, 80),
        commented: around.some((l) => /\/\/|\/\*/.test(l)),
      })
    }
  }
  return sites
}

describe('production code (src/, guards/, bin/)', () => {
  const sites = ['src', 'guards', 'bin'].flatMap(files).flatMap(silentCatches)

  it('has no silent catch beyond the justified ones listed in this test', () => {
    const byFile = new Map<string, Site[]>()
    for (const s of sites) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s])
    const unexpected = [...byFile].filter(([file, list]) => list.length !== (ALLOWED[file]?.length ?? 0))
    expect(
      unexpected.map(([file, list]) => ({
        file,
        allowed: ALLOWED[file]?.length ?? 0,
        found: list.map((s) => `${s.line}: ${s.text}`),
      })),
    ).toEqual([])
    // The list does not outlive the code: every listed file still has its sites.
    expect(Object.keys(ALLOWED).filter((f) => !byFile.has(f))).toEqual([])
  })

  it('says at each justified one, in a comment, which case it is', () => {
    expect(sites.filter((s) => !s.commented).map((s) => `${s.file}:${s.line}: ${s.text}`)).toEqual([])
  })

  it('finds what it looks for (the scanner itself)', () => {
    const probe = [
      'p.catch(() => {})',
      'p.catch((_e) => undefined)',
      'p.then(ok, () => {})',
      'try { x() } catch {}',
      'try { x() } catch (e) {\n  // nothing\n}',
    ]
    for (const text of probe)
      expect([text, PATTERNS.some((p) => new RegExp(p).test(text))]).toEqual([text, true])
    for (const text of [
      'p.catch((e) => log(e))',
      'try { x() } catch { return false }',
      'p.then(untrack, untrack)',
    ])
      expect([text, PATTERNS.some((p) => new RegExp(p).test(text))]).toEqual([text, false])
  })
})
