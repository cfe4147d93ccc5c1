import { type Address, encodeFunctionData, parseAbi, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { cli } from '../cli/run.js'
import { multiSend } from '../helpers/build.js'

let lab: Lab
let safe: Address
let owners: LabAccount[]

beforeAll(async () => {
  lab = await startLab()
  owners = lab.accounts.slice(1, 4)
  safe = await lab.createSafe({ owners: owners.map((o) => o.address), threshold: 2 })
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
