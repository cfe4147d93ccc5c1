import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

// The house rule, checked: folders under src/ are pipeline stages. The foundation (model/ and
// config/) imports nothing else; a stage imports only the foundation and its own folder; only
// the joining layer (src/pipeline.ts, src/pipeline/, the CLI, the lab) imports several stages.
// Guards are plugins: they import the model and score's helpers, nothing that acts.

const ROOT = join(import.meta.dirname, '..')
const FOUNDATION = ['model', 'config']
const STAGES = ['sources', 'verify', 'simulate', 'score', 'watchdogs', 'policy', 'respond', 'store', 'server']
const JOINING = ['pipeline', 'cli', 'lab']

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** The src/ folders a file imports from (type-only imports count: they couple as much). */
function importedFolders(file: string, text = readFileSync(file, 'utf8')): string[] {
  const out = new Set<string>()
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
    const spec = m[1] as string
    if (!spec.startsWith('.')) continue
    const target = relative(join(ROOT, 'src'), join(file, '..', spec))
    if (target.startsWith('..')) {
      const outside = relative(ROOT, join(file, '..', spec))
      out.add(outside.split('/')[0] as string) // guards/, outside src
      continue
    }
    const [top] = target.split('/')
    out.add(target.includes('/') ? (top as string) : 'pipeline.ts')
  }
  return [...out]
}

function violations(): string[] {
  const bad: string[] = []
  for (const file of files(join(ROOT, 'src'))) {
    const rel = relative(join(ROOT, 'src'), file)
    const folder = rel.includes('/') ? (rel.split('/')[0] as string) : rel
    if (folder === 'pipeline.ts' || JOINING.includes(folder)) continue
    const allowed = FOUNDATION.includes(folder) ? FOUNDATION : [...FOUNDATION, folder]
    for (const f of importedFolders(file)) if (!allowed.includes(f)) bad.push(`src/${rel} imports ${f}/`)
  }
  for (const file of files(join(ROOT, 'guards')))
    for (const f of importedFolders(file))
      if (!['model', 'score', 'guards'].includes(f)) bad.push(`${relative(ROOT, file)} imports ${f}/`)
  return bad
}

describe('layering', () => {
  it('knows every folder under src/', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
    expect(folders.filter((f) => ![...FOUNDATION, ...STAGES, ...JOINING].includes(f))).toEqual([])
  })

  it('lets a stage import only the foundation and its own folder', () => {
    expect(violations()).toEqual([])
  })

  it('reads imports the way the rule needs them', () => {
    const file = join(ROOT, 'src/respond/x.ts')
    const text = [
      "import type { A } from '../verify/safe-hash.js'",
      "import { b } from './notifier.js'",
      'import {',
      '  c,',
      "} from '../../guards/index.js'",
      "export { d } from '../model/text.js'",
      "import { e } from 'viem'",
    ].join('\n')
    expect(importedFolders(file, text).sort()).toEqual(['guards', 'model', 'respond', 'verify'])
  })
})
