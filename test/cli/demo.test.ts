import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { demoCommand } from '../../src/cli/demo.js'
import { startFakeDiscord } from '../fakes/discord.js'
import { eventually } from '../helpers/watch-world.js'
import { cli } from './run.js'

const root = join(import.meta.dirname, '../..')

describe('custos demo (what `npm start` runs)', () => {
  it('watches the lab through the service emulator, reports each proposal within seconds, and exits 0', async () => {
    const r = await cli(['demo'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const sections = r.stdout.split('━━ ').slice(1)
    expect(sections).toHaveLength(4)
    // The demo Safe runs the custos Guard, turned on before custos watches: that is not news.
    expect(r.stdout).toMatch(
      /which runs the custos Guard at 0x[0-9a-fA-F]{40} \(delay 1 h\) with custos as guardian/,
    )
    expect(r.stdout).not.toMatch(/configuration changed on chain|unqueued execution/)
    // The routine payment: signed by two owners, approved by custos on the guard, executed at once.
    expect(sections[0]).toMatch(/custos reported INFO in \d+ ms/)
    expect(sections[0]).toMatch(
      /custos approved it on the custos Guard \(0x[0-9a-f]{64}\): it can execute now/,
    )
    expect(sections[0]).toMatch(/owner A executed it at once \(0x[0-9a-f]{64}\)/)
    expect(sections[1]).toMatch(/CRITICAL · Demo Treasury · nonce 2/)
    expect(sections[1]).toMatch(/safe-state-change\/owner-added-unknown/)
    expect(sections[1]).toMatch(/safe-config-change\/config-change/)
    // One signature: the guard holds it; no rejection for the other owners to co-sign.
    expect(sections[1]).toMatch(
      /custos: held by the custos Guard: not approved and not scheduled, it cannot execute/,
    )
    expect(sections[2]).toMatch(/delegatecall-untrusted\/untrusted-delegatecall/)
    expect(sections[2]).toMatch(/safe-state-change\/singleton-changed/)
    // Bybit: the attacker holds the signatures, executes at once (the guard reverts it), schedules
    // it, and custos cancels it: stopped on-chain.
    expect(sections[2]).toMatch(/executes it at once: reverted \(NotAllowed\)/)
    expect(sections[2]).toMatch(/schedules it on the guard to wait out the delay: scheduled/)
    expect(sections[2]).toMatch(
      /custos cancelled on the custos Guard \(0x[0-9a-f]{64}\): it can never execute/,
    )
    expect(sections[2]).toMatch(/stopped on-chain: executing it now reverts \(CancelledTx\)/)
    expect(r.stdout).not.toMatch(/rejection at nonce/)
    // The report pages are gone once the demo exits: no links to them at the end, but how to keep them.
    const end = r.stdout.slice(r.stdout.lastIndexOf('Reports'))
    expect(end).not.toMatch(/http:\/\//)
    expect(end).toContain('npm start -- --keep')
    expect(sections[3]).toMatch(/HIGH · Demo Treasury · nonce 3/)
    expect(sections[3]).not.toMatch(/custos approved|scheduled it on the custos Guard/)
    expect(sections[3]).toMatch(/decoded-mismatch\/decoded-mismatch/)
    for (const s of sections) {
      const ms = Number(/custos reported \w+ in (\d+) ms/.exec(s)?.[1])
      expect(ms).toBeLessThan(10_000)
    }
    expect(r.stdout).toMatch(/the lab is stopped/)
  })
})

describe('custos demo --keep', () => {
  it('keeps serving the report pages it links to, and says how to use the lab', async () => {
    const stop = new AbortController()
    let out = ''
    const stdout = new PassThrough().on('data', (d) => (out += d))
    const stderr = new PassThrough()
    const done = demoCommand(
      { keep: true },
      { stdout, stderr, stdin: new PassThrough(), env: {} },
      stop.signal,
    )
    try {
      await eventually(() => out.includes('owner C'), 60_000, 'the --keep instructions')
      const links = [...out.matchAll(/^ {2}[A-Z]+ +(http:\/\/127\.0\.0\.1:\d+\/reports\/\S+)$/gm)].map(
        (m) => m[1],
      )
      expect(links).toHaveLength(4)
      for (const link of links) expect((await fetch(link as string)).status).toBe(200)
      const safe = /export CUSTOS_LAB_SAFE=(0x[0-9a-fA-F]{40})/.exec(out)?.[1]
      expect(safe).toBeDefined()
      expect(out).toMatch(/export CUSTOS_LAB_RPC=http:\/\/127\.0\.0\.1:\d+/)
      expect(out).toMatch(/export CUSTOS_LAB_TX_SERVICE=http:\/\/127\.0\.0\.1:\d+\/api/)
      expect(out).toMatch(/owner A 0x[0-9a-fA-F]{40} key 0x[0-9a-f]{64}/)
    } finally {
      stop.abort()
      expect(await done).toBe(0)
    }
  }, 90_000)

  it('lists the environment variables that send the demo to Discord in --help', async () => {
    const help = (await cli(['demo', '--help'])).stdout
    for (const name of [
      'DISCORD_TOKEN',
      'DISCORD_CHANNEL_ID',
      'DISCORD_SIGNER_IDS',
      'DISCORD_GUILD_ID',
      'DISCORD_API_URL',
    ])
      expect(help).toMatch(new RegExp(`^  ${name} +\\S`, 'm'))
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
        expect.stringMatching(/^CRITICAL · Demo Treasury · nonce 2/),
        expect.stringMatching(/^CRITICAL · Demo Treasury · nonce 2/),
        expect.stringMatching(/^HIGH · Demo Treasury · nonce 3/),
      ])
      // The routine payment, which custos approved on the guard (no rejections are proposed).
      expect(titles.filter((t) => t.startsWith('INFO'))).toEqual([
        expect.stringMatching(/^INFO · Demo Treasury · nonce 1/),
      ])
      // On a Safe that runs the custos Guard, a signer can also press Approve.
      const critical = discord.messages().find((m) => String(m.embeds[0]?.title).startsWith('CRITICAL'))
      expect(critical?.components[0]?.components.map((b) => b.label)).toEqual(
        expect.arrayContaining(['Acknowledge', 'Approve', 'Veto']),
      )
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
