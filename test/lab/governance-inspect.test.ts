import { encodeFunctionData, getAddress, type Hex, parseAbi, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BravoStack,
  deployBravoGovernance,
  deployGovernance,
  deployMetamorphic,
  destroyMetamorphic,
  type GovernanceStack,
  govTokenAbi,
  passOz,
  proposeBravo,
  proposeOz,
  queueOz,
} from '../../src/lab/governance/index.js'
import { type Lab, startLab } from '../../src/lab/index.js'
import { cli } from '../cli/run.js'

// `custos inspect --governor/--timelock` on the governance lab: real contracts, real events,
// the simulation on a fork of the lab, the governance guards.

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const GRANTEE = getAddress('0x90F79bf6EB2c4f870365E785982E1f101E93b906')
const timelockAdmin = parseAbi(['function updateDelay(uint256 newDelay)'])
const transfer = (to: `0x${string}`, amount: bigint) =>
  encodeFunctionData({ abi: govTokenAbi, functionName: 'transfer', args: [to, amount] })

type Json = {
  risk: { level: string }
  findings: Array<{ guard: string; code: string; severity: string; message: string }>
  simulation?: {
    available: boolean
    success?: boolean
    revertReason?: string
    assetChanges?: Array<{ to: string; amount: string }>
  }
  governance: { flavor: string; executor: string; createdBlock: string; state?: string }
  calls: Array<{ calls?: unknown[] }>
}
const inspect = async (args: string[]) => {
  const r = await cli(['inspect', ...args, '--format', 'json', '--simulate'])
  if (r.code === 2) throw new Error(r.stderr)
  return { code: r.code, json: JSON.parse(r.stdout) as Json, stderr: r.stderr }
}
const codes = (j: Json) => j.findings.map((f) => `${f.guard}/${f.code}:${f.severity}`)

describe('governor proposals on the lab (OpenZeppelin Governor + TimelockController)', () => {
  let lab: Lab
  let gov: GovernanceStack
  beforeAll(async () => {
    lab = await startLab()
    gov = await deployGovernance(lab)
  })
  afterAll(() => lab?.stop())

  it('a benign grant: simulated from the timelock, nothing high', async () => {
    const p = await proposeOz(lab, gov, {
      targets: [gov.token],
      values: [0n],
      calldatas: [transfer(GRANTEE, parseEther('1000'))],
      description: 'Grant: 1,000 LGT to the docs team',
    })
    const { code, json } = await inspect([
      '--governor',
      gov.governor,
      '--proposal',
      String(p.proposalId),
      '--rpc',
      lab.rpcUrl,
    ])
    expect(json.governance).toMatchObject({
      flavor: 'oz',
      executor: gov.timelock,
      createdBlock: String(p.blockNumber),
    })
    expect(json.simulation).toMatchObject({ available: true, success: true })
    expect(json.simulation?.assetChanges).toEqual([
      expect.objectContaining({ to: GRANTEE, amount: String(parseEther('1000')) }),
    ])
    // A grant to an address the treasury never paid, of a token deployed minutes ago (everything
    // in a lab is new), deserves a look, but nothing in it is high.
    expect(['none', 'info', 'low', 'medium'], JSON.stringify(json.findings)).toContain(json.risk.level)
    expect(json.findings.filter((f) => f.severity === 'high' || f.severity === 'critical')).toEqual([])
    expect(code).toBe(0)
  })

  it('a treasury drain is critical', async () => {
    const balance = await lab.public.readContract({
      address: gov.token,
      abi: govTokenAbi,
      functionName: 'balanceOf',
      args: [gov.timelock],
    })
    const eth = await lab.public.getBalance({ address: gov.timelock })
    const p = await proposeOz(lab, gov, {
      targets: [gov.token, ATTACKER],
      values: [0n, eth],
      calldatas: [transfer(ATTACKER, (balance * 9n) / 10n), '0x'],
      description: 'Routine treasury rebalancing',
    })
    const { code, json } = await inspect([
      '--governor',
      gov.governor,
      '--proposal',
      String(p.proposalId),
      '--rpc',
      lab.rpcUrl,
    ])
    expect(json.simulation).toMatchObject({ available: true, success: true })
    expect(json.risk.level).toBe('critical')
    expect(codes(json).some((c) => c.startsWith('treasury-outflow/') && c.endsWith(':critical'))).toBe(true)
    expect(code).toBe(1)
  })

  it('lowering the timelock delay to zero runs in the simulation (the timelock calls itself) and is critical', async () => {
    const p = await proposeOz(lab, gov, {
      targets: [gov.timelock],
      values: [0n],
      calldatas: [encodeFunctionData({ abi: timelockAdmin, functionName: 'updateDelay', args: [0n] })],
      description: 'Speed up operations',
    })
    const { json } = await inspect([
      '--governor',
      gov.governor,
      '--proposal',
      String(p.proposalId),
      '--rpc',
      lab.rpcUrl,
    ])
    expect(json.simulation).toMatchObject({ available: true, success: true })
    expect(codes(json).some((c) => c.startsWith('governance-param-change/') && c.endsWith(':critical'))).toBe(
      true,
    )
    expect(json.risk.level).toBe('critical')
  })

  it('runs a proposal that changes the governor itself (onlyGovernance) through its real lifecycle on the fork', async () => {
    const gov2 = parseAbi(['function setVotingPeriod(uint32)', 'function setProposalGuardian(address)'])
    const p = await proposeOz(lab, gov, {
      targets: [gov.governor, gov.governor],
      values: [0n, 0n],
      calldatas: [
        encodeFunctionData({ abi: gov2, functionName: 'setVotingPeriod', args: [1] }),
        encodeFunctionData({ abi: gov2, functionName: 'setProposalGuardian', args: [ATTACKER] }),
      ],
      description: 'Faster votes, new guardian',
    })
    const before = await lab.public.getBlockNumber()
    const { json } = await inspect([
      '--governor',
      gov.governor,
      '--proposal',
      String(p.proposalId),
      '--rpc',
      lab.rpcUrl,
    ])
    // Executed for real on the fork: the governor's own checks passed, and its storage changed.
    expect(json.simulation, JSON.stringify(json.simulation)).toMatchObject({
      available: true,
      success: true,
    })
    const diff = (json.simulation as { storageDiff?: Array<{ address: string }> }).storageDiff ?? []
    expect(diff.some((d) => d.address === gov.governor)).toBe(true)
    expect(codes(json)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^governance-param-change\/guardian-changed:high$/)]),
    )
    // The lab chain itself is untouched: the lifecycle ran on a fork.
    expect(await lab.public.getBlockNumber()).toBe(before)
  })

  it('inspects the queued timelock operation of a proposal by its id', async () => {
    const proposal = {
      targets: [gov.token],
      values: [0n],
      calldatas: [transfer(GRANTEE, parseEther('5'))] as Hex[],
      description: 'Small grant, queued',
    }
    const p = await proposeOz(lab, gov, proposal)
    await passOz(lab, gov, p.proposalId)
    const queued = await queueOz(lab, gov, proposal)
    const { json } = await inspect([
      '--timelock',
      gov.timelock,
      '--operation',
      queued.operationId,
      '--rpc',
      lab.rpcUrl,
    ])
    expect(json.governance).toMatchObject({ flavor: 'timelock', executor: gov.timelock, state: 'pending' })
    expect(json.calls[0]?.calls).toHaveLength(1)
    expect(json.simulation).toMatchObject({ available: true, success: true })
  })

  it('refuses what is not there, with a clear error', async () => {
    const r = await cli(['inspect', '--governor', gov.governor, '--proposal', '12345', '--rpc', lab.rpcUrl])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no ProposalCreated for proposal 12345/)
    const t = await cli(['inspect', '--timelock', gov.timelock, '--operation', '0x1234', '--rpc', lab.rpcUrl])
    expect(t.stderr).toMatch(/--operation must be a 32-byte hex id/)
    const n = await cli(['inspect', '--governor', gov.governor, '--proposal', '1'])
    expect(n.stderr).toMatch(/give --rpc/)
  })
})

describe('a metamorphic proposal target on a Shanghai lab (the Tornado Cash takeover)', () => {
  let lab: Lab
  let bravo: BravoStack
  beforeAll(async () => {
    lab = await startLab({ hardfork: 'shanghai' })
    bravo = await deployBravoGovernance(lab)
  })
  afterAll(() => lab?.stop())

  it('flags code that changed between the proposal and now as critical', async () => {
    const benign = await deployMetamorphic(lab, 'benign')
    const p = await proposeBravo(lab, bravo, {
      targets: [benign.proposalAddress],
      values: [0n],
      signatures: ['execute()'],
      calldatas: ['0x'],
      description: 'Run the audited proposal contract',
    })
    const before = await inspect([
      '--governor',
      bravo.bravo,
      '--proposal',
      String(p.proposalId),
      '--rpc',
      lab.rpcUrl,
    ])
    expect(before.json.governance.flavor).toBe('bravo')
    expect(codes(before.json).filter((c) => c.startsWith('code-pinning/'))).toEqual([])

    await destroyMetamorphic(lab, benign.factory)
    const swapped = await deployMetamorphic(lab, 'malicious', { factory: benign.factory })
    expect(swapped.proposalAddress).toBe(benign.proposalAddress)
    const after = await inspect([
      '--governor',
      bravo.bravo,
      '--proposal',
      String(p.proposalId),
      '--rpc',
      lab.rpcUrl,
    ])
    expect(codes(after.json).some((c) => c.startsWith('code-pinning/') && c.endsWith(':critical'))).toBe(true)
    expect(after.json.risk.level).toBe('critical')
  })
})
