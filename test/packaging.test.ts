import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// The Dockerfile and compose.yaml cannot be built here (no base images); what can be checked is:
// the HEALTHCHECK's command works against a /healthz, the image's heap caps are bin/custos.js's,
// and compose mounts the config and keeps the state in a volume.

const root = join(import.meta.dirname, '..')
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')

describe('the container files', () => {
  it("HEALTHCHECK's command exits 0 on a 200 /healthz and 1 on a 503 or nothing listening", async () => {
    const cmd = JSON.parse(
      /HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])/.exec(dockerfile)?.[1] ?? 'null',
    ) as string[]
    expect(cmd.slice(0, 2)).toEqual(['node', '-e'])
    let status = 200
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? status : 404)
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`
    // Asynchronously: the server answering it lives in this process.
    const probe = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, cmd.slice(1), { env: { CUSTOS_HEALTH_URL: url } })
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        child.once('exit', (code) => {
          clearTimeout(timer)
          resolve(code)
        })
      })
    try {
      expect(await probe()).toBe(0)
      status = 503
      expect(await probe()).toBe(1)
    } finally {
      await new Promise((r) => server.close(r))
    }
    expect(await probe()).toBe(1)
  })

  it('caps the heap as bin/custos.js does, and compose mounts the config and a volume for /data', () => {
    const bin = readFileSync(join(root, 'bin/custos.js'), 'utf8')
    const flags = JSON.parse(/HEAP_FLAGS = (\[.*\])/.exec(bin)?.[1]?.replace(/'/g, '"') ?? '[]') as string[]
    expect(flags.length).toBeGreaterThan(0)
    expect(dockerfile).toContain(`ENV NODE_OPTIONS="${flags.join(' ')}"`)
    const compose = parse(readFileSync(join(root, 'compose.yaml'), 'utf8'))
    const custos = compose.services.custos
    expect(custos.command).toEqual(['run', '--config', '/config/custos.yaml'])
    expect(custos.volumes).toEqual(
      expect.arrayContaining([expect.stringMatching(/:\/config\/custos\.yaml:ro$/), 'custos-data:/data']),
    )
    expect(Object.keys(compose.volumes)).toContain('custos-data')
    expect(custos.ports.every((p: string) => p.startsWith('127.0.0.1:'))).toBe(true)
  })
})
