import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../../src/lab/index.js'
import { deployProtocol, LAB_BOUNDS, LAB_PRICE, type LabProtocol } from '../../src/lab/protocol/index.js'
import { cli } from './run.js'

// `custos check` runs every check of the configured protocols once, on the lab; `custos config
// check` refuses an expression that does not type-check.

const dir = mkdtempSync(join(tmpdir(), 'custos-check-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

let lab: Lab
let p: LabProtocol
let config: string
beforeAll(async () => {
  lab = await startLab()
  p = await deployProtocol(lab)
  config = file(
    'custos.yaml',
    JSON.stringify({
      chains: { [lab.chainId]: { rpc: [lab.rpcUrl] } },
      protocols: [
        {
          name: 'Lending market',
          chainId: lab.chainId,
          address: p.pool,
          pauses: [{ name: 'pool', target: p.pool, function: 'pause()' }],
          checks: [
            { id: 'eth-usd', kind: 'chainlink-feed', feed: p.feed, heartbeat: 3600 },
            { id: 'running', kind: 'paused', contracts: [{ address: p.pool }] },
            { id: 'pause-path', kind: 'pause-ready', sender: p.guardian.address },
            {
              id: 'reserves',
              kind: 'invariant',
              calls: {
                reserves: { to: p.pool, function: 'getReserves() returns (int256)' },
                target: { to: p.pool, function: 'targetReserves() returns (uint256)' },
              },
              expression: 'reserves >= target',
            },
          ],
        },
      ],
      dataDir: dir,
    }),
  )
}, 120_000)
afterAll(() => lab?.stop())

describe('custos check', () => {
  it('prints every check once and exits 0 when all pass', async () => {
    const r = await cli(['check', '--config', config, '--protocol', 'lending market'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Lending market')
    for (const id of ['eth-usd', 'running', 'pause-path', 'reserves'])
      expect(r.stdout).toMatch(new RegExp(`ok +${id}`))
    expect(r.stdout).toContain('answer 2000')
    expect(r.stdout).toMatch(/pause\(\) from 0x\w+ succeeds/)
  })

  it('exits 1 and names the problem when a check is broken, in text and JSON', async () => {
    await p.setPrice(LAB_BOUNDS.min)
    try {
      const r = await cli(['check', '--config', config])
      expect(r.code).toBe(1)
      expect(r.stdout).toMatch(/HIGH +eth-usd/)
      expect(r.stdout).toContain('at-min-answer')
      const j = await cli(['check', '--config', config, '--format', 'json'])
      const body = JSON.parse(j.stdout) as {
        ok: boolean
        protocols: Array<{ checks: Array<{ id: string; ok: boolean; problems: Array<{ code: string }> }> }>
      }
      expect(body.ok).toBe(false)
      const feed = body.protocols[0]?.checks.find((c) => c.id === 'eth-usd')
      expect(feed?.problems.map((x) => x.code)).toEqual(['at-min-answer'])
    } finally {
      await p.setPrice(LAB_PRICE)
    }
  })

  it('refuses a protocol the configuration does not have', async () => {
    const r = await cli(['check', '--config', config, '--protocol', 'nope'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('no protocol called nope')
  })
})

describe('custos config check with protocols', () => {
  it('refuses an invariant whose expression does not type-check, naming where', async () => {
    const bad = file(
      'bad.yaml',
      JSON.stringify({
        protocols: [
          {
            name: 'Lending market',
            chainId: 1,
            address: '0x00000000000000000000000000000000000000a1',
            checks: [
              {
                id: 'reserves',
                kind: 'invariant',
                calls: {
                  reserves: {
                    to: '0x00000000000000000000000000000000000000a1',
                    function: 'getReserves() returns (int256)',
                  },
                },
                expression: 'reserves >= "a lot"',
              },
            ],
          },
        ],
      }),
    )
    const r = await cli(['config', 'check', '--config', bad])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('protocols[0].checks[0].expression: no such overload: double >= string')
  })
})
