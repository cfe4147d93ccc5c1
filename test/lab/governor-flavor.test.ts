import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { encodeFunctionData, getAddress, parseAbi, toFunctionSelector } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  deployGovernance,
  type GovernanceStack,
  proposeBravo,
  proposeOz,
} from '../../src/lab/governance/index.js'
import { type Lab, startLab } from '../../src/lab/index.js'
import { cli } from '../cli/run.js'

// Which governor a proposal lives in (OpenZeppelin or Bravo) decides how it is simulated and
// cancelled. Only a revert of proposalSnapshot says Bravo; a node failing is not an answer.

const GRANTEE = getAddress('0x90F79bf6EB2c4f870365E785982E1f101E93b906')
const SNAPSHOT = toFunctionSelector('function proposalSnapshot(uint256)')
const token = parseAbi(['function transfer(address to, uint256 amount)'])

let lab: Lab
let gov: GovernanceStack
let proxy: Server
let proxyUrl: string
/** How many proposalSnapshot calls the proxy still answers with a 502, as a failing node would. */
let failSnapshots = 0
let snapshotCalls = 0

beforeAll(async () => {
  lab = await startLab()
  gov = await deployGovernance(lab)
  // An RPC endpoint in front of the lab that fails like a node behind a load balancer can.
  proxy = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const call = JSON.parse(body) as { method: string; params?: Array<{ data?: string; input?: string }> }
    const data = call.params?.[0]?.data ?? call.params?.[0]?.input ?? ''
    if (call.method === 'eth_call' && data.startsWith(SNAPSHOT)) {
      snapshotCalls++
      if (failSnapshots > 0) {
        failSnapshots--
        res.writeHead(502, { 'content-type': 'text/plain' })
        return res.end('bad gateway')
      }
    }
    const upstream = await fetch(lab.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    res.writeHead(upstream.status, { 'content-type': 'application/json' })
    res.end(await upstream.text())
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((r) => proxy?.close(r))
  await lab?.stop()
})

const inspect = (governor: string, proposalId: bigint) =>
  cli([
    'inspect',
    '--governor',
    governor,
    '--proposal',
    String(proposalId),
    '--rpc',
    proxyUrl,
    '--format',
    'json',
  ])

describe("a governor's flavour", () => {
  it('is OpenZeppelin when proposalSnapshot answers after the node failed a few times', async () => {
    const p = await proposeOz(lab, gov, {
      targets: [gov.token],
      values: [0n],
      calldatas: [encodeFunctionData({ abi: token, functionName: 'transfer', args: [GRANTEE, 1n] })],
      description: 'Grant: 1 LGT',
    })
    failSnapshots = 3
    snapshotCalls = 0
    const r = await inspect(gov.governor, p.proposalId)
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout).governance.flavor).toBe('oz')
    expect(failSnapshots).toBe(0)
    expect(snapshotCalls).toBeGreaterThan(3)
  })

  it('is not guessed when the node keeps failing: the error is reported, exit 2', async () => {
    const p = await proposeOz(lab, gov, {
      targets: [gov.token],
      values: [0n],
      calldatas: [encodeFunctionData({ abi: token, functionName: 'transfer', args: [GRANTEE, 2n] })],
      description: 'Grant: 2 LGT',
    })
    failSnapshots = 1_000
    const r = await inspect(gov.governor, p.proposalId)
    failSnapshots = 0
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      new RegExp(
        `^custos: cannot tell whether ${gov.governor} is an OpenZeppelin or a Bravo governor: proposalSnapshot failed 3 times \\(.+\\)\\n$`,
      ),
    )
    expect(r.stderr).not.toContain(proxyUrl)
  })

  it('is Bravo when proposalSnapshot reverts', async () => {
    const p = await proposeBravo(lab, gov, {
      targets: [gov.token],
      values: [0n],
      signatures: [''],
      calldatas: [encodeFunctionData({ abi: token, functionName: 'transfer', args: [GRANTEE, 3n] })],
      description: 'Grant: 3 tokens',
    })
    const r = await inspect(gov.bravo, p.proposalId)
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout).governance.flavor).toBe('bravo')
  })
})
