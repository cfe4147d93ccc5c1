import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import { deployGovernance, type GovernanceStack } from '../../src/lab/governance/index.js'
import { eventually, startWorld, type World } from '../helpers/watch-world.js'
import { cli } from './run.js'

// `custos init` on the lab: it reads the Safe (and a governor and a timelock) from the chain,
// writes a config that `config check` accepts as it is, and `custos run` on that file watches the
// Safe and alerts. Bad input is one line and exit 2.

const root = join(import.meta.dirname, '../..')
let world: World
let gov: GovernanceStack
const dir = mkdtempSync(join(tmpdir(), 'custos-init-'))
const children: ChildProcess[] = []

beforeAll(async () => {
  world = await startWorld()
  gov = await deployGovernance(world.lab)
}, 60_000)
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await world?.stop()
})

const lab = () => ['--chain-id', String(world.lab.chainId), '--rpc', world.lab.rpcUrl]

describe('custos init', () => {
  it('writes a config from the chain that config check accepts, and custos run watches the Safe and alerts', async () => {
    const out = join(dir, 'custos.yaml')
    const r = await cli([
      'init',
      '--safe',
      world.safe,
      ...lab(),
      '--tx-service',
      world.service.url,
      '--out',
      out,
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const env = `RPC_URL_${world.lab.chainId}`
    expect(r.stdout).toContain(`export ${env}=${world.lab.rpcUrl}`)
    expect(r.stdout).toContain(`npx custos config check --config ${out}`)
    expect(r.stdout).toContain(`npx custos run --config ${out}`)

    const text = readFileSync(out, 'utf8')
    // The RPC is an environment reference; the URL given on the command line is not in the file.
    expect(text).toContain(`- { env: ${env} }`)
    expect(text).not.toContain(world.lab.rpcUrl)
    expect(text).toContain(`name: "Safe ${world.safe.slice(0, 6)}…${world.safe.slice(-4)}"`)
    for (const owner of Object.values(world.owners)) expect(text).toContain(owner.address)

    const unset = await cli(['config', 'check', '--config', out])
    expect(unset.code).toBe(2)
    expect(unset.stderr).toContain(
      `chains.${world.lab.chainId}.rpc[0]: environment variable ${env} is not set`,
    )
    const check = await cli(['config', 'check', '--config', out], { env: { [env]: world.lab.rpcUrl } })
    expect(check.stderr).toBe('')
    expect(check.code).toBe(0)

    // The one change a test on a shared machine needs: any free port instead of 8080.
    writeFileSync(out, text.replace('port: 8080', 'port: 0'))
    let output = ''
    const child = spawn('node', ['bin/custos.js', 'run', '--config', out], {
      cwd: root,
      env: { PATH: process.env.PATH, NO_COLOR: '1', [env]: world.lab.rpcUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    child.stdout?.on('data', (d) => (output += d))
    child.stderr?.on('data', (d) => (output += d))
    await eventually(() => output.includes('custos watching'), 20_000, 'custos run to start')
    const bybit = encodeFunctionData({
      abi: parseAbi(['function transfer(address to, uint256 amount)']),
      functionName: 'transfer',
      args: [world.owners.C.address, 0n],
    })
    await world.lab.test.setCode({
      address: '0x96221423681a6d52e184d440a8efcebb105c7242',
      bytecode: SLOT0_WRITER,
    })
    await world.propose(world.owners.A, {
      to: '0x96221423681A6d52E184D440a8eFCEbB105C7242',
      data: bybit,
      operation: 1,
    })
    await eventually(
      () => /CRITICAL · Safe 0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4} · nonce 0/.test(output),
      30_000,
      'the alert',
    )
    expect(output).toContain('safe-state-change/singleton-changed')
    // `expected` was pinned from the chain: nothing drifted.
    expect(output).not.toContain('configuration drift')
    // dataDir is relative to the config file, not to where custos was started.
    expect(existsSync(join(dir, 'custos-data', 'custos.db'))).toBe(true)
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }, 90_000)

  it('reads a governor and a TimelockController', async () => {
    const out = join(dir, 'gov.yaml')
    const r = await cli([
      'init',
      '--governor',
      gov.governor,
      '--timelock',
      gov.timelock,
      ...lab(),
      '--out',
      out,
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const text = readFileSync(out, 'utf8')
    expect(text).toContain(
      `OpenZeppelin Governor, timelock ${gov.timelock}, delay 3600 s, guardian ${gov.guardian}`,
    )
    expect(text).toContain('TimelockController, minimum delay 3600 s')
    // Without Safes, no transaction service and no API key to ask for.
    expect(text).not.toContain('txServiceApiKeyEnv')
    expect(
      (
        await cli(['config', 'check', '--config', out], {
          env: { [`RPC_URL_${world.lab.chainId}`]: 'http://127.0.0.1:1' },
        })
      ).code,
    ).toBe(0)
  })

  it('asks for the hosted service API key without --tx-service, and names things with --name', async () => {
    const out = join(dir, 'named.yaml')
    const r = await cli([
      'init',
      '--safe',
      world.safe,
      '--name',
      'Treasury',
      ...lab(),
      '--rpc-env',
      'MY_RPC',
      '--out',
      out,
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("export SAFE_API_KEY='<your transaction service API key>'")
    expect(r.stdout).toContain(`export MY_RPC=${world.lab.rpcUrl}`)
    const text = readFileSync(out, 'utf8')
    expect(text).toContain('txServiceApiKeyEnv: SAFE_API_KEY')
    expect(text).toContain('name: "Treasury"')
    expect(text).toContain('- { env: MY_RPC }')
  })

  it('never shows back an RPC URL that may carry a key', async () => {
    const out = join(dir, 'keyed.yaml')
    const r = await cli([
      'init',
      '--safe',
      world.safe,
      '--chain-id',
      '31337',
      '--rpc',
      `${world.lab.rpcUrl}/?key=secret-key`,
      '--out',
      out,
    ])
    expect(r.code).toBe(0)
    expect(r.stdout + readFileSync(out, 'utf8')).not.toContain('secret-key')
    expect(r.stdout).toContain("export RPC_URL_31337='<the RPC URL you passed to --rpc>'")
  })

  it('refuses to overwrite a file without --force', async () => {
    const out = join(dir, 'exists.yaml')
    writeFileSync(out, 'mine\n')
    const r = await cli(['init', '--safe', world.safe, ...lab(), '--out', out])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`custos: ${out} already exists: pass --force to overwrite it\n`)
    expect(readFileSync(out, 'utf8')).toBe('mine\n')
    expect((await cli(['init', '--safe', world.safe, ...lab(), '--out', out, '--force'])).code).toBe(0)
    expect(readFileSync(out, 'utf8')).toContain('safes:')
  })

  it('says in one line what is wrong with the input, and exits 2', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number }
        s.close(() => resolve(port))
      })
    })
    const out = join(dir, 'never.yaml')
    const cases: Array<[string[], RegExp]> = [
      [
        ['--safe', world.owners.A.address, ...lab()],
        /has no code on chain 31337: not a Safe|is not a deployed Safe/,
      ],
      [['--safe', world.lab.token, ...lab()], /is not a Safe: it does not answer VERSION/],
      [
        ['--safe', world.safe, '--chain-id', '1', '--rpc', world.lab.rpcUrl],
        /--chain-id 1 disagrees with the RPC node, which serves chain 31337/,
      ],
      [
        ['--safe', world.safe, '--chain-id', '31337', '--rpc', `http://127.0.0.1:${closedPort}/key`],
        new RegExp(`cannot read chain 31337: RPC http://127.0.0.1:${closedPort}/…: connection refused`),
      ],
      [['--safe', '0x1234', ...lab()], /--safe 0x1234: expected a 20-byte hex address/],
      [['--governor', world.safe, ...lab()], /is not a governor/],
      [['--timelock', gov.bravoTimelock, ...lab()], /Compound-style timelock, not a TimelockController/],
      [['--safe', world.safe, '--rpc', world.lab.rpcUrl], /--chain-id is required/],
      [[...lab()], /nothing to watch/],
    ]
    for (const [args, message] of cases) {
      const r = await cli(['init', ...args, '--out', out])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(r.stderr).not.toMatch(/internal error/)
    }
    expect(existsSync(out)).toBe(false)
  })
})
