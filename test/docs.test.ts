import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from './helpers/watch-world.js'

// The documented commands work: every command in a fenced block marked `sh runnable` in the
// README and docs/ is run, in order, the way a reader would run it, in one scratch directory
// (where `test/` and `config/` lead to the repository's). `npm start -- --keep` starts the lab
// (the demo) and its export lines are taken as a reader pastes them; `custos run` is started,
// watched until it reports, and stopped with SIGTERM; every other command must exit 0, or 1 for
// an inspect that judges a transaction risky, and never with an internal error.

const root = join(import.meta.dirname, '..')
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .sort()
    .map((f) => `docs/${f}`),
]
const dir = mkdtempSync(join(tmpdir(), 'custos-docs-'))
symlinkSync(join(root, 'test'), join(dir, 'test'))
symlinkSync(join(root, 'config'), join(dir, 'config'))
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }
const custos = (line: string) =>
  line.replace(/^npx custos\b/, `"${process.execPath}" "${join(root, 'bin/custos.js')}"`)
let demo: ChildProcess | undefined

afterAll(async () => {
  if (demo && demo.exitCode === null) {
    const exited = new Promise((r) => demo?.once('exit', r))
    demo.kill('SIGTERM')
    await exited
  }
})

/** The commands of each `sh runnable` block of a page (continuation lines joined, comments dropped). */
function runnable(page: string): string[] {
  const lines = readFileSync(join(root, page), 'utf8').split('\n')
  const out: string[] = []
  let inside = false
  for (const raw of lines) {
    if (!inside && /^```sh runnable\s*$/.test(raw)) inside = true
    else if (inside && /^```\s*$/.test(raw)) inside = false
    else if (inside) {
      const line = raw.trim()
      if (!line || line.startsWith('#')) continue
      const last = out.at(-1)
      if (last?.endsWith('\\')) out[out.length - 1] = `${last.slice(0, -1)} ${line}`
      else out.push(line)
    }
  }
  return out
}

async function startLab(): Promise<void> {
  if (demo) return
  let out = ''
  demo = spawn(process.execPath, [join(root, 'bin/custos.js'), 'demo', '--keep'], { cwd: dir, env })
  demo.stdout?.on('data', (d) => (out += d))
  demo.stderr?.on('data', (d) => (out += d))
  await eventually(() => /export CUSTOS_LAB_SAFE=/.test(out), 90_000, 'npm start -- --keep')
  for (const m of out.matchAll(/^ {2}export (CUSTOS_LAB_\w+)=(\S+)$/gm)) env[m[1] as string] = m[2]
}

function exportLine(line: string): void {
  const name = /^export (\w+)=/.exec(line)?.[1] as string
  const r = spawnSync('bash', ['-c', `${line}; printf %s "$${name}"`], { cwd: dir, env, encoding: 'utf8' })
  expect(r.status, line).toBe(0)
  env[name] = r.stdout
}

/** `custos run`: started on any free port (a shared machine), watched until it reports, stopped. */
async function runUntilReported(line: string, page: string): Promise<string> {
  const config = join(dir, /--config (\S+)/.exec(line)?.[1] as string)
  writeFileSync(config, readFileSync(config, 'utf8').replace(/port: 8080\b/, 'port: 0'))
  let out = ''
  const child = spawn('bash', ['-c', custos(line)], { cwd: dir, env })
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  try {
    await eventually(
      () => out.includes('custos watching') || child.exitCode !== null,
      30_000,
      `${page}: ${line}`,
    )
    expect(out, line).toContain('custos watching')
    if (page === 'README.md')
      await eventually(() => /CRITICAL · .+ · nonce \d+/.test(out), 60_000, `${page}: an alert from ${line}`)
  } finally {
    child.kill('SIGTERM')
  }
  expect(await exited, `${line} on SIGTERM`).toBe(0)
  return out
}

describe('the documented commands', () => {
  const outputs = new Map<string, string>()
  for (const page of pages) {
    const commands = runnable(page)
    if (commands.length === 0) continue
    it(`${page}: ${commands.length} runnable command(s) work on the lab`, async () => {
      for (const line of commands) {
        if (line === 'npm start -- --keep') await startLab()
        else if (line.startsWith('export ')) exportLine(line)
        else if (/^npx custos run\b/.test(line)) outputs.set(page, await runUntilReported(line, page))
        else if (/^npx custos\b/.test(line)) {
          const r = spawnSync('bash', ['-c', custos(line)], {
            cwd: dir,
            env,
            encoding: 'utf8',
            timeout: 120_000,
          })
          const ok = r.status === 0 || (r.status === 1 && /^npx custos inspect\b/.test(line))
          expect(ok, `${page}: ${line}\n${r.stderr}`).toBe(true)
          expect(r.stderr).not.toMatch(/internal error/)
        } else throw new Error(`${page}: do not know how to run "${line}"`)
      }
    }, 240_000)
  }

  it("README's alert sample is what custos run prints", () => {
    const out = outputs.get('README.md') ?? ''
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const sample = /\n```\n( CRITICAL {2}CRITICAL · [^\n]+\n(?: {2}[^\n]+\n)+)```/.exec(readme)?.[1]
    expect(sample).toBeDefined()
    // Every line as printed, but the report link: the test's custos listens on another port.
    for (const line of (sample as string)
      .trimEnd()
      .split('\n')
      .filter((l) => !l.startsWith('  report: ')))
      expect(out).toContain(line)
  })
})
