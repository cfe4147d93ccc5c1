import { PassThrough } from 'node:stream'
import { run } from '../../src/cli/main.js'

export type Result = { code: number; stdout: string; stderr: string }

/** Runs the CLI in-process with captured streams. */
export async function cli(
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const stdin = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => (out += d))
  stderr.on('data', (d) => (err += d))
  stdin.end(opts.stdin ?? '')
  const code = await run(args, { stdout, stderr, stdin, env: opts.env ?? {} })
  return { code, stdout: out, stderr: err }
}
