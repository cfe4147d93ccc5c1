import { type Address, encodeFunctionData, parseAbi, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'

const MALICIOUS = '0x96221423681A6d52E184D440a8eFCEbB105C7242'
const ATTACKER = '0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516'

import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { cli } from '../cli/run.js'
import { multiSend } from '../helpers/build.js'

let lab: Lab
let safe: Address
let owners: LabAccount[]

beforeAll(async () => {
  lab = await startLab()
  owners = lab.accounts.slice(1, 4)
  safe = await lab.createSafe({ owners: owners.map((o) => o.address), threshold: 2, fund: 10n ** 18n })
})
afterAll(() => lab?.stop())

const txJson = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    safe,
    to: owners[0]?.address,
    value: '1',
    data: null,
    operation: 0,
    safeTxGas: 0,
    baseGas: 0,
    gasPrice: '0',
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce: 0,
    ...fields,
  })

describe('custos inspect --rpc --simulate (against the lab)', () => {
  it('summarises the simulation after the hashes, then the calls and findings', async () => {
    await lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
    const stdin = txJson({
      to: MALICIOUS,
      operation: 1,
      data: `0xa9059cbb${ATTACKER.slice(2).padStart(64, '0')}${'0'.repeat(64)}`,
    })
    const r = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--simulate'], { stdin })
    expect(r.code).toBe(1)
    const order = [
      'safeTxHash',
      'Simulation',
      'result        succeeds',
      'Safe changes',
      'singleton',
      'Trace',
      'Calls',
      'Findings',
      'safe-state-change/singleton-changed',
      'Risk: CRITICAL',
    ]
    const at = order.map((s) => r.stdout.indexOf(s))
    expect(at.every((p) => p >= 0)).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
  })

  it('gives the simulation in JSON', async () => {
    const r = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--simulate', '--format', 'json'], {
      stdin: txJson({ to: ATTACKER, value: '5' }),
    })
    const { simulation } = JSON.parse(r.stdout)
    expect(simulation).toMatchObject({
      available: true,
      mode: 'fork',
      success: true,
      assetChanges: [{ standard: 'native', from: safe, to: ATTACKER, amount: '5' }],
    })
    for (const key of [
      'revertReason',
      'gasUsed',
      'trace',
      'logs',
      'safeChanges',
      'approvals',
      'proxyUpgrades',
      'permissionChanges',
      'codeChanges',
      'storageDiff',
    ]) {
      expect(key === 'revertReason' || key in simulation).toBe(true)
    }
    const direct = await cli(
      [
        'inspect',
        '--file',
        '-',
        '--rpc',
        lab.rpcUrl,
        '--simulate',
        '--simulation-mode',
        'direct',
        '--format',
        'json',
      ],
      { stdin: txJson({ to: ATTACKER, value: '5' }) },
    )
    expect(JSON.parse(direct.stdout).simulation).toMatchObject({
      mode: 'direct',
      assetChanges: simulation.assetChanges,
    })
  })

  it('needs an RPC to simulate', async () => {
    const r = await cli(
      ['inspect', '--file', '-', '--chain-id', '31337', '--safe-version', '1.4.1', '--simulate'],
      { stdin: txJson() },
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--simulate needs an RPC/)
  })
})

describe('custos inspect --rpc (against the lab)', () => {
  it('reads the chain id, version, owners and threshold from the node', async () => {
    const r = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--format', 'json'], {
      stdin: txJson(),
    })
    expect(r.stderr).toBe('')
    const json = JSON.parse(r.stdout)
    expect(json.chainId).toBe(31337)
    expect(json.safe).toEqual({
      address: safe,
      version: '1.4.1',
      owners: owners.map((o) => o.address),
      threshold: '2',
      nonce: '0',
    })
  })

  it.each([
    [['--chain-id', '1'], /--chain-id 1 disagrees with the RPC node, which serves chain 31337/],
    [
      ['--safe-version', '1.3.0'],
      /--safe-version 1.3.0 disagrees with the Safe's VERSION\(\) on chain, 1.4.1/,
    ],
  ])('refuses flags that contradict the chain: %j', async (flags, message) => {
    const r = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, ...flags], { stdin: txJson() })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('refuses an address that is not a Safe', async () => {
    const noCode = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl], {
      stdin: txJson({ safe: owners[0]?.address }),
    })
    expect(noCode.code).toBe(2)
    expect(noCode.stderr).toMatch(/has no code on chain 31337: it is not a deployed Safe/)
    const token = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl], {
      stdin: txJson({ safe: lab.token }),
    })
    expect(token.code).toBe(2)
    expect(token.stderr).toMatch(/does not answer as a Safe/)
  })

  it('trusts a canonical Safe library on an unlisted chain only when its code hash matches', async () => {
    const batch = multiSend([{ to: owners[1]?.address as Address, value: 1n }])
    const viaCallOnly = txJson({ to: lab.contracts.multiSendCallOnly, operation: 1, data: batch })
    const offline = await cli(
      ['inspect', '--file', '-', '--chain-id', '31337', '--safe-version', '1.4.1', '--format', 'json'],
      { stdin: viaCallOnly },
    )
    expect(JSON.parse(offline.stdout).findings.map((f: { code: string }) => f.code)).toContain(
      'untrusted-delegatecall',
    )
    const online = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--format', 'json'], {
      stdin: viaCallOnly,
    })
    expect(JSON.parse(online.stdout).findings).toEqual([])
    // Same canonical address, other code: not official.
    await lab.test.setCode({ address: lab.contracts.signMessageLib, bytecode: SLOT0_WRITER })
    const data = encodeFunctionData({
      abi: parseAbi(['function signMessage(bytes)']),
      functionName: 'signMessage',
      args: ['0x'],
    })
    const impostor = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--format', 'json'], {
      stdin: txJson({ to: lab.contracts.signMessageLib, operation: 1, data }),
    })
    expect(impostor.code).toBe(1)
    expect(JSON.parse(impostor.stdout).findings[0]).toMatchObject({
      guard: 'delegatecall-untrusted',
      severity: 'critical',
    })
  })
})
