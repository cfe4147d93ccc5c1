#!/usr/bin/env node
// Runs the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/src/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('custos: not built yet; run `npm ci` (or `npm run build`) in the repository first\n')
  process.exit(2)
}
const { run } = await import(entry.href)
const code = await run(process.argv.slice(2))
// Exit once output is flushed, even if a library left a timer or socket behind.
process.stdout.write('', () => process.exit(code))
