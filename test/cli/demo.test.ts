import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startFakeDiscord } from '../fakes/discord.js'
import { cli } from './run.js'

const root = join(import.meta.dirname, '../..')

describe('custos demo (what `npm start` runs)', () => {
  it('watches the lab through the service emulator, reports each proposal within seconds, and exits 0', async () => {
    const r = await cli(['demo'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const sections = r.stdout.split('━━ ').slice(1)
    expect(sections).toHaveLength(4)
    expect(sections[0]).toMatch(/custos reported NONE in \d+ ms/)
    expect(sections[1]).toMatch(/CRITICAL · Demo Treasury · nonce 1/)
    expect(sections[1]).toMatch(/safe-state-change\/owner-added-unknown/)
    expect(sections[1]).toMatch(/safe-config-change\/config-change/)
    expect(sections[2]).toMatch(/delegatecall-untrusted\/untrusted-delegatecall/)
    expect(sections[2]).toMatch(/safe-state-change\/singleton-changed/)
    // custos's guardian (owner C) answers each critical proposal with a rejection at its nonce.
    expect(sections[1]).toMatch(
      /custos vetoed it: proposed a rejection at nonce 1 \(0x[0-9a-f]{64}\), signed by the guardian/,
    )
    expect(sections[2]).toMatch(/custos vetoed it: proposed a rejection at nonce 2/)
    expect(sections[3]).not.toMatch(/vetoed it/)
    expect(sections[3]).toMatch(/HIGH · Demo Treasury · nonce 3/)
    expect(sections[3]).toMatch(/decoded-mismatch\/decoded-mismatch/)
    for (const s of sections) {
      const ms = Number(/custos reported \w+ in (\d+) ms/.exec(s)?.[1])
      expect(ms).toBeLessThan(10_000)
    }
    expect(r.stdout).toMatch(/the lab is stopped/)
  })
})

describe('custos demo with Discord settings in the environment', () => {
  it('posts its alerts to Discord instead of the console', async () => {
    const discord = await startFakeDiscord({ token: 'demo-token' })
    try {
      const r = await cli(['demo'], {
        env: {
          DISCORD_TOKEN: 'demo-token',
          DISCORD_CHANNEL_ID: discord.channelId,
          DISCORD_API_URL: discord.api,
          DISCORD_SIGNER_IDS: '800000000000000001',
        },
      })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/alerts go to Discord channel/)
      expect(r.stdout).not.toMatch(/CRITICAL · Demo Treasury/) // not on the console
      const titles = discord.messages().map((m) => String(m.embeds[0]?.title))
      expect(titles.filter((t) => !t.startsWith('INFO'))).toEqual([
        expect.stringMatching(/^CRITICAL · Demo Treasury · nonce 1/),
        expect.stringMatching(/^CRITICAL · Demo Treasury · nonce 2/),
        expect.stringMatching(/^HIGH · Demo Treasury · nonce 3/),
      ])
      // custos's own rejections, proposed at the vetoed nonces, are reported too (info).
      expect(titles.filter((t) => t.startsWith('INFO'))).toEqual([
        expect.stringMatching(/^INFO · Demo Treasury · nonce 1/),
        expect.stringMatching(/^INFO · Demo Treasury · nonce 2/),
      ])
      expect(discord.messages()[0]?.components[0]?.components.map((b) => b.label)).toContain('Acknowledge')
    } finally {
      await discord.close()
    }
  })
})

describe('the installed binary', () => {
  it('runs from the repository root through bin/custos.js', () => {
    const version = execFileSync('node', ['bin/custos.js', '--version'], { cwd: root, encoding: 'utf8' })
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('exits 1 on the Bybit transaction, read from stdin', () => {
    const { tx } = JSON.parse(
      execFileSync('cat', [join(root, 'test/fixtures/corpus/bybit-2025-02.json')], { encoding: 'utf8' }),
    )
    const r = spawnSync(
      'node',
      [
        'bin/custos.js',
        'inspect',
        '--file',
        '-',
        '--chain-id',
        '1',
        '--safe-version',
        '1.1.1',
        '--format',
        'json',
      ],
      {
        cwd: root,
        input: JSON.stringify(tx),
        encoding: 'utf8',
      },
    )
    expect(r.status).toBe(1)
    expect(JSON.parse(r.stdout).risk.level).toBe('critical')
  })

  it('leaves no anvil running after the demo', async () => {
    const r = spawnSync('node', ['bin/custos.js', 'demo'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    })
    expect(r.status).toBe(0)
    const rpcUrl = /anvil on (http:\/\/127\.0\.0\.1:\d+)/.exec(r.stdout)?.[1]
    expect(rpcUrl).toBeDefined()
    await expect(fetch(rpcUrl as string, { method: 'POST', body: '{}' })).rejects.toThrow()
  })
})
