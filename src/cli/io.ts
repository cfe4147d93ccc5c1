import type { Readable, Writable } from 'node:stream'

/** The process's streams and environment, passed in so the CLI runs the same in tests. */
export type Io = {
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable
  stdin: Readable
  env: NodeJS.ProcessEnv
}

export const processIo = (): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
})

/** Reads a file or stdin (`-`), refusing inputs larger than `maxBytes` instead of exhausting memory. */
export async function readInput(path: string, io: Io, maxBytes: number): Promise<string> {
  const { createReadStream } = await import('node:fs')
  const stream = path === '-' ? io.stdin : createReadStream(path)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += buf.length
    if (size > maxBytes) {
      if (path !== '-') (stream as { destroy?: () => void }).destroy?.()
      throw Object.assign(new Error(`${path === '-' ? 'stdin' : path} is larger than ${maxBytes} bytes`), {
        code: 'ETOOBIG',
      })
    }
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}
