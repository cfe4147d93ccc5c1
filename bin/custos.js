#!/usr/bin/env node
// Runs the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// `custos run` lives for months. With V8's default heap sizing its heap grows to about 250 MB,
// mostly garbage awaiting a full collection, for some 60 MB in use (1,000 Safes and 100
// governors); these caps keep it near 160 MB RSS for the same work (docs/benchmark.md). They
// can only be set when Node starts, so without them custos starts itself again with them.
// NODE_OPTIONS (or node's own flags) with --max-old-space-size win: raise it for many more
// Safes or governors.
const HEAP_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=8']

const args = process.argv.slice(2)
const sized = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((f) =>
  /^--max[-_]old[-_]space[-_]size\b/.test(f),
)
if (args[0] === 'run' && !sized) await relaunch()
else await main()

async function main() {
  const entry = new URL('../dist/src/cli/main.js', import.meta.url)
  if (!existsSync(entry)) {
    process.stderr.write('custos: not built yet; run `npm ci` (or `npm run build`) in the repository first\n')
    process.exit(2)
  }
  // `custos run` listens for SIGTERM and SIGINT before its modules load (about a second): a
  // stop asked for while it starts then stops it cleanly once started, instead of killing it
  // half-started by the default action.
  const early = new AbortController()
  if (args[0] === 'run') for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => early.abort())
  const { run } = await import(entry.href)
  const code = await run(args, undefined, early.signal)
  // Exit once output is flushed, even if a library left a timer or socket behind.
  process.stdout.write('', () => process.exit(code))
}

/** The same command in a child Node with the heap caps; signals are passed on, its exit is ours. */
async function relaunch() {
  const child = spawn(
    process.execPath,
    [...HEAP_FLAGS, ...process.execArgv, fileURLToPath(import.meta.url), ...args],
    {
      stdio: 'inherit',
    },
  )
  const forward = (signal) => child.kill(signal)
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, forward)
  child.on('error', (error) => {
    process.stderr.write(`custos: cannot start ${process.execPath}: ${error.message}\n`)
    process.exit(2)
  })
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.off(s, forward)
      process.kill(process.pid, signal)
    } else process.exit(code ?? 1)
  })
}
