import type { SafeTransaction } from '@safe-global/types-kit'
import { type Address, type Hex, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { createSafeOf, deploySafeVersion } from '../../src/lab/safe-versions.js'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import { CUSTOS_GUARD_ADDRESS } from '../../src/respond/guard/contract.js'
import { readGuardSettings, readSafeGuards } from '../../src/respond/guard/read.js'
import { cli } from './run.js'

// custos guard deploy | enable | status on the lab: deploy from a key in the environment (or print the
// transaction), print the enabling Safe transaction and have the owners sign and execute exactly that through
// protocol-kit, then read the result back.

let lab: Lab
let owners: [LabAccount, LabAccount, LabAccount]
let guardian: LabAccount
beforeAll(async () => {
  lab = await startLab()
  const [, a, b, c, g] = lab.accounts as LabAccount[]
  owners = [a as LabAccount, b as LabAccount, c as LabAccount]
  guardian = g as LabAccount
})
afterAll(() => lab?.stop())

const lines = (s: string) => s.trim().split('\n')

describe('custos guard', () => {
  it('deploy prints the transaction without a key, sends it with one, and then finds it deployed', async () => {
    const printed = await cli(['guard', 'deploy'])
    expect(printed.code).toBe(0)
    expect(printed.stdout).toContain(CUSTOS_GUARD_ADDRESS)
    expect(printed.stdout).toContain('to:   0x4e59b44847b379578588920cA78FbF26c0B4956C')
    const json = await cli(['guard', 'deploy', '--rpc', lab.rpcUrl, '--format', 'json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ address: CUSTOS_GUARD_ADDRESS, deployed: false })
    const env = { DEPLOYER: (lab.accounts[8] as LabAccount).privateKey }
    const sent = await cli(['guard', 'deploy', '--rpc', lab.rpcUrl, '--key-env', 'DEPLOYER'], { env })
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toMatch(/^Deployed the custos Guard at 0x/)
    expect(await lab.public.getCode({ address: CUSTOS_GUARD_ADDRESS })).toBeDefined()
    const again = await cli(['guard', 'deploy', '--rpc', lab.rpcUrl, '--key-env', 'DEPLOYER'], { env })
    expect(again.stdout).toContain('already deployed')
    // The key never shows in the output.
    expect(sent.stdout + sent.stderr + again.stdout).not.toContain(env.DEPLOYER.slice(2))
  })

  it.each(['1.4.1', '1.5.0'] as const)(
    'enable prints the Safe %s transaction the owners sign and execute as printed, and status reads it',
    async (version) => {
      const safe = await createSafeOf(lab, await deploySafeVersion(lab, version), {
        owners: owners.map((o) => o.address),
        threshold: 2,
      })
      const args = ['guard', 'enable', '--safe', safe, '--guardian', guardian.address, '--delay', '1h']
      const out = await cli([...args, '--removal-delay', '7d', '--rpc', lab.rpcUrl, '--format', 'json'])
      expect(out.code, out.stderr).toBe(0)
      const printed = JSON.parse(out.stdout) as {
        transaction: { to: Address; data: Hex; operation: number; nonce: string }
        safeTxHash: Hex
        domainHash: Hex
        messageHash: Hex
        calls: unknown[]
      }
      expect(printed.calls).toHaveLength(version === '1.5.0' ? 3 : 2)
      // Signed through protocol-kit as owners would sign a proposed transaction.
      const kitA = await lab.kit(safe, owners[0])
      let tx: SafeTransaction = await kitA.createTransaction({
        transactions: [
          {
            to: printed.transaction.to,
            value: '0',
            data: printed.transaction.data,
            operation: printed.transaction.operation,
          },
        ],
        options: { nonce: Number(printed.transaction.nonce) },
      })
      expect(await kitA.getTransactionHash(tx)).toBe(printed.safeTxHash)
      const expected = safeTxHashes(version, lab.chainId, {
        safe,
        to: printed.transaction.to,
        value: 0n,
        data: printed.transaction.data,
        operation: 1,
        safeTxGas: 0n,
        baseGas: 0n,
        gasPrice: 0n,
        gasToken: zeroAddress,
        refundReceiver: zeroAddress,
        nonce: BigInt(printed.transaction.nonce),
      })
      expect({ domainHash: printed.domainHash, messageHash: printed.messageHash }).toEqual({
        domainHash: expected.domainHash,
        messageHash: expected.messageHash,
      })
      tx = await kitA.signTransaction(tx)
      tx = await (await lab.kit(safe, owners[1])).signTransaction(tx)
      const result = await kitA.executeTransaction(tx)
      await lab.public.waitForTransactionReceipt({ hash: result.hash as Hex })
      const guards = await readSafeGuards(lab.public, safe)
      expect(guards.guard).toBe(CUSTOS_GUARD_ADDRESS)
      expect(guards.moduleGuard).toBe(version === '1.5.0' ? CUSTOS_GUARD_ADDRESS : zeroAddress)
      expect(await readGuardSettings(lab.public, safe)).toMatchObject({
        guardian: guardian.address,
        delay: 3600,
        removalDelay: 7 * 86400,
        epoch: 1,
      })

      const text = await cli(['guard', 'status', '--safe', safe, '--rpc', lab.rpcUrl])
      expect(text.code, text.stderr).toBe(0)
      expect(lines(text.stdout)).toEqual([
        `custos Guard ${CUSTOS_GUARD_ADDRESS} for Safe ${safe}`,
        '  transaction guard: the custos Guard',
        `  module guard:      ${version === '1.5.0' ? 'the custos Guard' : 'none'}`,
        `  settings:          guardian ${guardian.address}, delay 3600 s, removal delay 604800 s, configuration #1, modules []`,
      ])
      const withTx = await cli([
        'guard',
        'status',
        '--safe',
        safe,
        '--rpc',
        lab.rpcUrl,
        '--tx',
        `0x${'ab'.repeat(32)}`,
      ])
      expect(withTx.stdout).toContain('unknown to the guard')
      // Once on, enabling again is refused with the way to change settings.
      const again = await cli([...args, '--removal-delay', '7d', '--rpc', lab.rpcUrl])
      expect(again.code).toBe(2)
      expect(again.stderr).toMatch(/already runs the custos Guard/)
    },
  )

  it('enable works offline from --chain-id, --safe-version and --nonce', async () => {
    const out = await cli([
      'guard',
      'enable',
      '--safe',
      owners[2].address,
      '--guardian',
      guardian.address,
      '--delay',
      '90m',
      '--removal-delay',
      '3d',
      '--chain-id',
      '1',
      '--safe-version',
      '1.3.0',
      '--nonce',
      '7',
    ])
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain('nonce 7')
    expect(out.stdout).toContain('delay 5400 s, removalDelay 259200 s')
    expect(out.stdout).toMatch(/safeTxHash: {3}0x[0-9a-f]{64}/)
  })

  it.each([
    [['--delay', '1x', '--removal-delay', '7d'], /--delay must be a duration/],
    [['--delay', '2d', '--removal-delay', '1d'], /--removal-delay must be at least --delay/],
    [['--delay', '1h', '--removal-delay', '31d'], /--removal-delay is at most 30 days/],
    [
      ['--delay', '1h', '--removal-delay', '7d', '--safe-version', '1.2.0'],
      /supports Safe 1.3.0, 1.4.1 and 1.5.0/,
    ],
    [['--delay', '1h', '--removal-delay', '7d', '--module', '0x1234'], /--module must be an address/],
    [
      ['--delay', '1h', '--removal-delay', '7d', '--module', CUSTOS_GUARD_ADDRESS],
      /--module needs Safe 1.5.0/,
    ],
  ])('enable refuses %j with one line and exit 2', async (extra, message) => {
    const base = ['guard', 'enable', '--safe', owners[0].address, '--guardian', guardian.address]
    const offline = extra.includes('--safe-version')
      ? ['--chain-id', '1', '--nonce', '0']
      : ['--chain-id', '1', '--safe-version', '1.4.1', '--nonce', '0']
    const out = await cli([...base, ...offline, ...extra])
    expect(out.code).toBe(2)
    expect(out.stderr).toMatch(message)
    expect(lines(out.stderr)).toHaveLength(1)
  })

  it('status and deploy say what is missing, in one line, with exit 2', async () => {
    for (const args of [
      ['guard', 'status', '--safe', owners[0].address],
      ['guard', 'status', '--rpc', lab.rpcUrl],
      ['guard', 'status', '--safe', owners[0].address, '--rpc', lab.rpcUrl, '--tx', '0x12'],
      ['guard', 'enable', '--guardian', guardian.address, '--delay', '1h', '--removal-delay', '7d'],
      [
        'guard',
        'enable',
        '--safe',
        owners[0].address,
        '--guardian',
        guardian.address,
        '--delay',
        '1h',
        '--removal-delay',
        '7d',
      ],
      ['guard', 'deploy', '--rpc', lab.rpcUrl, '--key-env', 'BAD'],
    ]) {
      const out = await cli(args, { env: { BAD: 'not a key' } })
      expect({ args, code: out.code }).toEqual({ args, code: 2 })
      expect(lines(out.stderr), args.join(' ')).toHaveLength(1)
    }
  })

  it('--help describes the three commands', async () => {
    const out = await cli(['guard', '--help'])
    expect(out.stdout).toMatch(/deploy/)
    expect(out.stdout).toMatch(/enable/)
    expect(out.stdout).toMatch(/status/)
    const enable = await cli(['guard', 'enable', '--help'])
    expect(enable.stdout).toMatch(/--removal-delay <duration>/)
  })
})
