import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// `custos run` refuses a configuration or environment problem before it starts, in one line
// that names the setting and the cause, with exit 2: never an "internal error".

const root = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'custos-run-errors-'))
const SAFE = '0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4'
const servers: Server[] = []
afterAll(() => {
  for (const s of servers) s.close()
})

function config(name: string, lines: string[]): string {
  const path = join(dir, name)
  writeFileSync(
    path,
    [
      'chains:',
      '  "1": { rpc: [{ env: RPC_1 }], txService: "http://127.0.0.1:9/api" }',
      'safes:',
      `  - { address: "${SAFE}", chainId: 1, name: Treasury }`,
      'logging: { level: silent }',
      ...lines,
    ].join('\n'),
  )
  chmodSync(path, 0o644)
  return path
}

function run(path: string, opts: { uid?: number } = {}) {
  const r = spawnSync(process.execPath, ['bin/custos.js', 'run', '--config', path], {
    cwd: root,
    env: { PATH: process.env.PATH, RPC_1: 'http://127.0.0.1:9' },
    encoding: 'utf8',
    timeout: 20_000,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  })
  return { code: r.status, stderr: r.stderr, stdout: r.stdout }
}

const oneLine = (r: { code: number | null; stderr: string }) => {
  expect(r.code).toBe(2)
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
  expect(r.stderr).not.toMatch(/internal error/)
}

describe('custos run: problems named before it starts', () => {
  it('server.port already in use', async () => {
    const taken = createServer()
    servers.push(taken)
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()))
    const port = (taken.address() as { port: number }).port
    const r = run(config('port.yaml', [`server: { port: ${port} }`, `dataDir: ${join(dir, 'port-data')}`]))
    oneLine(r)
    expect(r.stderr).toBe(`custos: server.port ${port} is already in use on 127.0.0.1\n`)
  })

  it('a dataDir this user cannot write', () => {
    const locked = mkdtempSync(join(tmpdir(), 'custos-locked-'))
    chmodSync(locked, 0o555)
    chmodSync(dir, 0o755)
    // As root every permission passes: run as an unprivileged user then.
    const uid = process.getuid?.() === 0 ? 65534 : undefined
    const r = run(config('locked.yaml', [`dataDir: ${locked}`]), uid === undefined ? {} : { uid })
    oneLine(r)
    expect(r.stderr).toContain(`dataDir: ${locked} is not writable by uid ${uid ?? process.getuid?.()}`)
  })

  it('a watched Safe on a chain with no entry, and an unset variable', () => {
    const path = join(dir, 'nochain.yaml')
    writeFileSync(
      path,
      [
        'chains: { "1": { rpc: [{ env: UNSET_RPC }] } }',
        'safes:',
        `  - { address: "${SAFE}", chainId: 10, name: Optimism }`,
        `  - { address: "${SAFE}", chainId: 1, name: Treasury }`,
        `dataDir: ${join(dir, 'nochain-data')}`,
      ].join('\n'),
    )
    const r = run(path)
    oneLine(r)
    expect(r.stderr).toContain('safes[0].chainId: chain 10 has no entry under `chains`')
    expect(r.stderr).toContain('chains.1.rpc[0]: environment variable UNSET_RPC is not set')
  })
})
