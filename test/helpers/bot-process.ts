import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'

const root = join(import.meta.dirname, '../..')
const HEAP_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=8']

/** `custos run` as a real process, with a YAML config, for restart and signal tests. */
export function botProcess(dir: string, config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const path = join(dir, 'custos.yaml')
  writeFileSync(path, stringify(config))
  let child: ChildProcess | undefined
  let output = ''
  let stderr = ''
  let stdout = ''
  return {
    path,
    output: () => output,
    /** What the process wrote to stderr alone (its logs) and to stdout alone (the console channel). */
    stderr: () => stderr,
    stdout: () => stdout,
    pid: () => child?.pid,
    start() {
      // Started as the image starts it, with the heap caps given to Node, so that custos is one
      // process (signals, SIGSTOP, /proc); test/cli/heap.test.ts covers bin/custos.js adding them.
      child = spawn('node', [...HEAP_FLAGS, 'bin/custos.js', 'run', '--config', path], {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout?.on('data', (d) => {
        output += d
        stdout += d
      })
      child.stderr?.on('data', (d) => {
        output += d
        stderr += d
      })
      return child
    },
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    /** Sends a signal and resolves with the exit code (or the signal) once the process is gone. */
    stop(
      signal: NodeJS.Signals = 'SIGTERM',
    ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
      const c = child
      if (!c || c.exitCode !== null || c.signalCode !== null)
        return Promise.resolve({ code: c?.exitCode ?? null, signal: c?.signalCode ?? null })
      return new Promise((resolve) => {
        c.once('exit', (code, sig) => resolve({ code, signal: sig }))
        c.kill(signal)
      })
    },
  }
}

/** Resolves once `custos run` on this port answers /readyz with 200. */
export async function waitReady(port: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status !== 200) {
    if (Date.now() > deadline) throw new Error('custos run did not become ready')
    await new Promise((r) => setTimeout(r, 50))
  }
}
