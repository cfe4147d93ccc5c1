import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/simulate/anvil.js'
import { eventually } from '../helpers/watch-world.js'

// bin/custos.js starts `custos run` with V8 heap caps (they can only be set when Node starts),
// unless NODE_OPTIONS sets them; signals reach the capped process and its exit is custos's.

const root = join(import.meta.dirname, '../..')
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
})

async function start(env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'custos-heap-'))
  const rpc = `http://127.0.0.1:${await freePort()}`
  writeFileSync(
    join(dir, 'custos.yaml'),
    [
      'chains: { "1": { rpc: [{ env: RPC_1 }], txService: "http://127.0.0.1:9/api" } }',
      'safes: [{ address: "0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4", chainId: 1, name: Treasury }]',
      'server: { port: 0 }',
    ].join('\n'),
  )
  let out = ''
  const child = spawn(process.execPath, ['bin/custos.js', 'run', '--config', join(dir, 'custos.yaml')], {
    cwd: root,
    env: { PATH: process.env.PATH, RPC_1: rpc, ...env },
  })
  children.push(child)
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  const limit = await eventually(() => /"heapLimitMb":(\d+)/.exec(out)?.[1], 30_000, 'the heap limit line')
  await eventually(() => out.includes('custos watching'), 30_000, 'custos watching')
  return { child, limit: Number(limit), output: () => out }
}

describe('custos run heap caps', () => {
  it('runs with the caps, passes SIGTERM on, and exits 0 once drained', async () => {
    const { child, limit, output } = await start()
    // Node's default here is several GB; the caps give about 160 MB old space plus the young one.
    expect(limit).toBeGreaterThan(150)
    expect(limit).toBeLessThan(250)
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(output()).toContain('"msg":"stopped"')
  }, 90_000)

  it('leaves the heap to NODE_OPTIONS when it sets --max-old-space-size', async () => {
    const { child, limit } = await start({ NODE_OPTIONS: '--max-old-space-size=512' })
    expect(limit).toBeGreaterThan(500)
    expect(limit).toBeLessThan(700)
    child.kill('SIGTERM')
  }, 90_000)
})
