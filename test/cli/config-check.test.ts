import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
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
      /valid \(1 chain, 1 Safe watched, 2 governors, 1 timelock, 2 address book entries, 25 guards enabled; alerts to console, webhook:ops, discord, slack:security, telegram, pagerduty; 2 signers\)/,
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
        expect.stringMatching(/^\(root\): unknown key "surprise"$/),
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
    expect(r.stderr).toMatch(/guards\.token-approval: unknown key "typo"/)
  })

  it('refuses a policy finding rule that names no declared code, wherever it is, with the nearest code', async () => {
    const safe = '0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe'
    const path = file(
      'policy.yaml',
      [
        'policy:',
        '  findings:',
        '    safe-state-change/singleton-changed: veto',
        '    safe-state-change/singelton-changed: veto',
        '    token-approval/guard-error: escalate',
        `safes: [{ address: "${safe}", chainId: 1, name: Treasury, policy: { findings: { code-pinning/code-change: veto } } }]`,
        `governors: [{ address: "${safe}", chainId: 1, name: Gov, policy: { findings: { no-such/thing: notify } } }]`,
        `timelocks: [{ address: "${safe}", chainId: 1, name: TL, policy: { findings: { drift-watchdog/config-drift: veto } } }]`,
      ].join('\n'),
    )
    const r = await cli(['config', 'check', '--config', path])
    expect(r.code).toBe(2)
    const lines = r.stderr
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
    expect(lines).toEqual([
      'policy.findings.safe-state-change/singelton-changed: no guard declares this finding (did you mean safe-state-change/singleton-changed?); `custos guards` lists every code',
      'safes[0].policy.findings.code-pinning/code-change: no guard declares this finding (did you mean code-pinning/code-changed?); `custos guards` lists every code',
      'governors[0].policy.findings.no-such/thing: no guard declares this finding; `custos guards` lists every code',
      'timelocks[0].policy.findings.drift-watchdog/config-drift: drift-watchdog/config-drift is raised by the watch about a Safe, not about a proposal: the policy never acts on it (it is always alerted)',
    ])
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
    expect(text.stdout).toMatch(
      /^\s+codes: unlimited-approval \(high\), approval \(medium\), approval-revoked \(info\)$/m,
    )
    const json = JSON.parse((await cli(['guards', '--format', 'json'])).stdout)
    expect(json.map((g: { id: string }) => g.id)).toContain('address-lookalike')
    expect(json.find((g: { id: string }) => g.id === 'nonce-competition')).toMatchObject({
      maxSeverity: 'medium',
      codes: { 'competing-transactions': 'medium' },
    })
    expect(json.find((g: { id: string }) => g.id === 'token-approval').defaults).toEqual({
      unlimitedFrom: (2n ** 128n).toString(),
    })
  })
})

describe('custos config check: everything custos run checks', () => {
  const safe = '0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4'
  const watching = (extra: string[] = []) =>
    [
      'chains:',
      '  "1": { rpc: [{ env: RPC_1 }] }',
      'safes:',
      `  - { address: "${safe}", chainId: 1, name: Treasury }`,
      ...extra,
    ].join('\n')

  it('names a watched address whose chain has no entry, and the same Safe listed twice', async () => {
    const path = file(
      'targets.yaml',
      [
        'chains:',
        '  "1": { rpc: [{ env: RPC_1 }] }',
        'safes:',
        `  - { address: "${safe}", chainId: 1, name: Treasury }`,
        `  - { address: "${safe.toLowerCase()}", chainId: 1, name: Again }`,
        `  - { address: "${safe}", chainId: 10, name: Optimism }`,
        'governors:',
        `  - { address: "${safe}", chainId: 1, name: Gov }`,
      ].join('\n'),
    )
    const r = await cli(['config', 'check', '--config', path], { env: { RPC_1: 'http://127.0.0.1:8545' } })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      'safes[2].chainId: chain 10 has no entry under `chains` (custos reads it through chains."10".rpc)',
    )
    expect(r.stderr).toContain(`safes[1]: ${safe} on chain 1 is already listed as safes[0]`)
    expect(r.stderr).toContain(`governors[0]: ${safe} on chain 1 is already listed as safes[0]`)
  })

  it('refuses an RPC URL with a key written in the file, and suggests an environment reference', async () => {
    const path = file(
      'keyed.yaml',
      'chains:\n  "1": { rpc: ["https://eth.example.org/v2/AbCdEfGhIjKlMnOpQrStUv123", "https://rpc.example.org/eth"] }\n',
    )
    const r = await cli(['config', 'check', '--config', path])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      'chains.1.rpc[0]: the URL carries what looks like a key; keep it out of the file: set it in an environment variable and write { env: RPC_URL_1 }',
    )
    expect(r.stderr).not.toContain('rpc[1]')
    expect(r.stderr).not.toContain('AbCdEf')
  })

  it('says "did you mean" for unknown keys and guards', async () => {
    const path = file(
      'typos.yaml',
      'chains:\n  "1": { rpc: [], txSevice: "http://127.0.0.1:1/api" }\nnotify: { dicord: {} }\nserverr: {}\n',
    )
    const r = await cli(['config', 'check', '--config', path])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('chains.1: unknown key "txSevice" (did you mean "txService"?)')
    expect(r.stderr).toContain('notify: unknown key "dicord" (did you mean "discord"?)')
    expect(r.stderr).toContain('(root): unknown key "serverr" (did you mean "server"?)')
    const guards = await cli([
      'config',
      'check',
      '--config',
      file('guard-typos.yaml', 'guards:\n  large-transfers: {}\n  token-approval: { unlimitedFrm: 1 }\n'),
    ])
    expect(guards.stderr).toMatch(
      /guards\.large-transfers: unknown guard \(did you mean "large-transfer"\? known: /,
    )
    expect(guards.stderr).toContain(
      'guards.token-approval: unknown key "unlimitedFrm" (did you mean "unlimitedFrom"?)',
    )
  })

  it('resolves dataDir relative to the config file and says so; a dataDir under a file cannot be created', async () => {
    const ok = await cli(['config', 'check', '--config', file('rel.yaml', watching(['dataDir: state']))], {
      env: { RPC_1: 'http://127.0.0.1:8545' },
    })
    expect(ok.stderr).toBe('')
    expect(ok.stdout).toContain(
      `dataDir: ${join(dir, 'state')} (relative paths are relative to the config file)`,
    )
    file('a-file', 'x')
    const bad = await cli(
      ['config', 'check', '--config', file('under-file.yaml', watching(['dataDir: a-file/state']))],
      {
        env: { RPC_1: 'http://127.0.0.1:8545' },
      },
    )
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(
      `dataDir: ${join(dir, 'a-file/state')} cannot be created: ${join(dir, 'a-file')} is a file`,
    )
  })

  it('names a dataDir this user cannot write', async () => {
    const locked = mkdtempSync(join(tmpdir(), 'custos-locked-'))
    chmodSync(locked, 0o555)
    const config = file('locked.yaml', watching([`dataDir: ${locked}`]))
    chmodSync(dir, 0o755)
    chmodSync(config, 0o644)
    // As root every permission passes: check as an unprivileged user then.
    const uid = process.getuid?.() === 0 ? 65534 : process.getuid?.()
    const r = spawnSync(process.execPath, ['bin/custos.js', 'config', 'check', '--config', config], {
      cwd: join(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, RPC_1: 'http://127.0.0.1:8545' },
      encoding: 'utf8',
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`dataDir: ${locked} is not writable by uid ${uid}`)
  })

  it('--offline skips the environment and the data directory, and says so', async () => {
    const path = file('offline.yaml', watching(['dataDir: a-file/state']))
    file('a-file', 'x')
    expect((await cli(['config', 'check', '--config', path])).code).toBe(2)
    const r = await cli(['config', 'check', '--config', path, '--offline'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('offline: environment variables and the data directory were not checked')
    // What needs no environment is still checked offline.
    const dup = file('offline-dup.yaml', watching([`  - { address: "${safe}", chainId: 1, name: Again }`]))
    expect((await cli(['config', 'check', '--config', dup, '--offline'])).code).toBe(2)
  })
})
