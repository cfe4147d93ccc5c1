import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli } from './run.js'

const dir = mkdtempSync(join(tmpdir(), 'custos-config-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const example = join(import.meta.dirname, '../../config/custos.example.yaml')

describe('custos config check', () => {
  it('accepts the example config when its environment variables are set', async () => {
    const r = await cli(['config', 'check', '--config', example], {
      env: {
        MAINNET_RPC_URL: 'http://127.0.0.1:8545',
        SAFE_API_KEY: 'k',
        OPS_WEBHOOK_URL: 'http://127.0.0.1:9/',
        OPS_WEBHOOK_SECRET: 's',
        DISCORD_TOKEN: 't',
        SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/slack',
        TELEGRAM_BOT_TOKEN: '1:t',
        PAGERDUTY_ROUTING_KEY: 'k',
      },
    })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(
      /valid \(1 chain, 1 Safe watched, 2 address book entries, 25 guards enabled; alerts to console, webhook:ops, discord, slack:security, telegram, pagerduty; 2 signers\)/,
    )
  })

  it('names the environment variables that are missing', async () => {
    const r = await cli(['config', 'check', '--config', example])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('chains.1.rpc[0]: environment variable MAINNET_RPC_URL is not set')
    expect(r.stderr).toContain('notify.discord.tokenEnv: environment variable DISCORD_TOKEN is not set')
    expect(r.stderr).toContain(
      'notify.pagerduty.routingKeyEnv: environment variable PAGERDUTY_ROUTING_KEY is not set',
    )
  })

  it('accepts no config at all (every default)', async () => {
    expect((await cli(['config', 'check'])).code).toBe(0)
  })

  it('prints one path-qualified line per problem and exits 2', async () => {
    const path = file(
      'bad.yaml',
      [
        'chains:',
        '  "1": { rpc: ["not a url"] }',
        'addressBook:',
        '  - { address: "0x1234", name: x }',
        'limits: { maxDepth: 0 }',
        'guards:',
        '  no-such-guard: {}',
        '  large-transfer: { thresholds: [{ token: native, max: lots }] }',
        '  token-approval: { unlimitedFrom: "x", typo: 1 }',
        'surprise: true',
      ].join('\n'),
    )
    const r = await cli(['config', 'check', '--config', path])
    expect(r.code).toBe(2)
    const lines = r.stderr
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^chains\.1\.rpc\[0\]: /),
        'addressBook[0].address: expected a 20-byte hex address (0x + 40 hex digits)',
        expect.stringMatching(/^limits\.maxDepth: /),
        expect.stringMatching(/^\(root\): Unrecognized key: "surprise"/),
      ]),
    )
  })

  it('checks guard options against each guard, once the file itself is valid', async () => {
    const path = file(
      'guards.yaml',
      [
        'guards:',
        '  no-such-guard: {}',
        '  large-transfer: { thresholds: [{ token: native, max: lots }] }',
        '  token-approval: { typo: 1 }',
      ].join('\n'),
    )
    const r = await cli(['config', 'check', '--config', path])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/guards\.no-such-guard: unknown guard \(known: hash-mismatch, /)
    expect(r.stderr).toContain(
      'guards.large-transfer.thresholds[0].max: expected a decimal amount such as 250000 or 12.5',
    )
    expect(r.stderr).toMatch(/guards\.token-approval: Unrecognized key: "typo"/)
  })

  it('reports YAML syntax errors and unreadable files', async () => {
    const r = await cli(['config', 'check', '--config', file('broken.yaml', 'chains: [1, 2\n')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/\(yaml\): /)
    const missing = await cli(['config', 'check', '--config', join(dir, 'missing.yaml')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/cannot read config .*missing.yaml: ENOENT/)
  })

  it('is used by inspect too: a bad config stops it with exit 2', async () => {
    const r = await cli(['inspect', '--config', file('bad2.yaml', 'failOn: sometimes\n'), '--file', '-'], {
      stdin: '{}',
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/failOn: /)
  })

  it('loads extra ABIs from files relative to the config, and reports broken ones', async () => {
    file(
      'vault.json',
      JSON.stringify({
        abi: [
          {
            type: 'function',
            name: 'sweep',
            inputs: [{ name: 'to', type: 'address' }],
            outputs: [],
            stateMutability: 'nonpayable',
          },
        ],
      }),
    )
    expect(
      (
        await cli([
          'config',
          'check',
          '--config',
          file('abis.yaml', 'abis: [{ name: vault, file: vault.json }]\n'),
        ])
      ).code,
    ).toBe(0)
    const bad = await cli([
      'config',
      'check',
      '--config',
      file('abis2.yaml', 'abis: [{ name: v, signatures: ["function ("] }, { name: w, file: nope.json }]\n'),
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/abis\[0\]: /)
    expect(bad.stderr).toMatch(/abis\[1\]: ENOENT/)
  })
})

describe('custos guards', () => {
  it('lists every guard with its worst severity, in text and JSON', async () => {
    const text = await cli(['guards'])
    expect(text.stdout).toMatch(/^delegatecall-untrusted\s+critical\s+A DELEGATECALL/m)
    const json = JSON.parse((await cli(['guards', '--format', 'json'])).stdout)
    expect(json.map((g: { id: string }) => g.id)).toContain('address-lookalike')
    expect(json.find((g: { id: string }) => g.id === 'token-approval').defaults).toEqual({
      unlimitedFrom: (2n ** 128n).toString(),
    })
  })
})
