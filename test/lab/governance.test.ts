import {
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseAbiParameters,
  parseEther,
  toEventSelector,
  toHex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BravoStack,
  bravoAbi,
  deployBravoGovernance,
  deployGovernance,
  deployMetamorphic,
  destroyMetamorphic,
  executeBravo,
  executeOz,
  type GovernanceStack,
  governanceCacheKey,
  governorAbi,
  govTokenAbi,
  loadGovernanceArtifacts,
  type OzProposal,
  ProposalState,
  passBravo,
  passOz,
  proposeBravo,
  proposeOz,
  queueBravo,
  queueOz,
  readCachedGovernanceArtifacts,
  timelockAbi,
} from '../../src/lab/governance/index.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'

const balanceOf = (lab: Lab, token: Address, account: Address) =>
  lab.public.readContract({ address: token, abi: govTokenAbi, functionName: 'balanceOf', args: [account] })
const transfer = (to: Address, amount: bigint) =>
  encodeFunctionData({ abi: govTokenAbi, functionName: 'transfer', args: [to, amount] })

describe('governance artifacts', () => {
  it('load from the committed cache, whose key matches the current sources', async () => {
    // A stale artifacts.json fails here: recompile with loadGovernanceArtifacts() and commit it.
    expect(readCachedGovernanceArtifacts()?.key).toBe(governanceCacheKey())
    const artifacts = await loadGovernanceArtifacts({ compile: false })
    expect(Object.keys(artifacts.contracts).sort()).toEqual(
      [
        'BenignProposal',
        'GovToken',
        'LabBravo',
        'LabBravoTimelock',
        'LabGovernor',
        'LabVotesToken',
        'MaliciousProposal',
        'MetamorphicDeployer',
        'MetamorphicFactory',
        'TimelockController',
      ].sort(),
    )
    // One event signature for both governor flavours: the sources tell them apart by calldata layout.
    const created = (abi: typeof artifacts.contracts.LabGovernor.abi) =>
      abi.find((item) => item.type === 'event' && item.name === 'ProposalCreated')
    const oz = created(artifacts.contracts.LabGovernor.abi)
    const bravo = created(artifacts.contracts.LabBravo.abi)
    if (oz?.type !== 'event' || bravo?.type !== 'event') throw new Error('ProposalCreated missing')
    expect(toEventSelector(bravo)).toBe(toEventSelector(oz))
  })
})

describe('OZ governor and Bravo on the lab', () => {
  let lab: Lab
  let gov: GovernanceStack
  let recipient: Address
  beforeAll(async () => {
    lab = await startLab()
    gov = await deployGovernance(lab)
    recipient = (lab.accounts[9] as LabAccount).address
  })
  afterAll(() => lab?.stop())

  const ozProposal = (description: string): OzProposal => ({
    targets: [gov.token, recipient],
    values: [0n, parseEther('1')],
    calldatas: [transfer(recipient, parseEther('1000')), '0x'],
    description,
  })

  it('sets the timelock roles: governor proposes, governor and guardian cancel, anyone executes', async () => {
    const has = async (
      role: 'PROPOSER_ROLE' | 'CANCELLER_ROLE' | 'EXECUTOR_ROLE' | 'DEFAULT_ADMIN_ROLE',
      who: Address,
    ) =>
      lab.public.readContract({
        address: gov.timelock,
        abi: timelockAbi,
        functionName: 'hasRole',
        args: [
          await lab.public.readContract({ address: gov.timelock, abi: timelockAbi, functionName: role }),
          who,
        ],
      })
    expect(await has('PROPOSER_ROLE', gov.governor)).toBe(true)
    expect(await has('CANCELLER_ROLE', gov.governor)).toBe(true)
    expect(await has('CANCELLER_ROLE', gov.guardian)).toBe(true)
    expect(await has('PROPOSER_ROLE', gov.guardian)).toBe(false)
    expect(await has('EXECUTOR_ROLE', '0x0000000000000000000000000000000000000000')).toBe(true)
    expect(await has('DEFAULT_ADMIN_ROLE', gov.deployer)).toBe(false)
    expect(await has('DEFAULT_ADMIN_ROLE', gov.timelock)).toBe(true)
    expect(
      await lab.public.readContract({
        address: gov.governor,
        abi: governorAbi,
        functionName: 'proposalGuardian',
      }),
    ).toBe(gov.guardian)
    expect(await balanceOf(lab, gov.token, gov.timelock)).toBe(gov.settings.treasuryTokens)
    expect(await lab.public.getBalance({ address: gov.bravoTimelock })).toBe(gov.settings.treasuryEth)
  })

  it('runs an OZ proposal through vote, queue and execute; the calls come from the timelock', async () => {
    const p = ozProposal('Grant #1: 1000 LGT and 1 ETH')
    const { proposalId, descriptionHash } = await proposeOz(lab, gov, p)
    expect(descriptionHash).toBe(keccak256(toHex(p.description)))
    await passOz(lab, gov, proposalId)
    const { operationId, eta } = await queueOz(lab, gov, p)
    expect(eta).toBeGreaterThan(0n)
    expect(
      await lab.public.readContract({
        address: gov.timelock,
        abi: timelockAbi,
        functionName: 'isOperationPending',
        args: [operationId],
      }),
    ).toBe(true)
    const [tokensBefore, ethBefore] = await Promise.all([
      balanceOf(lab, gov.token, recipient),
      lab.public.getBalance({ address: recipient }),
    ])
    await executeOz(lab, gov, p)
    expect((await balanceOf(lab, gov.token, recipient)) - tokensBefore).toBe(parseEther('1000'))
    expect((await lab.public.getBalance({ address: recipient })) - ethBefore).toBe(parseEther('1'))
    expect(await balanceOf(lab, gov.token, gov.timelock)).toBe(
      gov.settings.treasuryTokens - parseEther('1000'),
    )
    const state = await lab.public.readContract({
      address: gov.governor,
      abi: governorAbi,
      functionName: 'state',
      args: [proposalId],
    })
    expect(state).toBe(ProposalState.Executed)
  })

  it('lets the guardian cancel an OZ proposal through the governor and a queued one through the timelock', async () => {
    const state = (id: bigint) =>
      lab.public.readContract({ address: gov.governor, abi: governorAbi, functionName: 'state', args: [id] })

    const first = ozProposal('Grant #2')
    const { proposalId: id1, descriptionHash } = await proposeOz(lab, gov, first)
    const cancel = await lab.wallet.writeContract({
      account: gov.guardian,
      chain: null,
      address: gov.governor,
      abi: governorAbi,
      functionName: 'cancel',
      args: [first.targets, first.values, first.calldatas, descriptionHash],
    })
    expect((await lab.public.waitForTransactionReceipt({ hash: cancel })).status).toBe('success')
    expect(await state(id1)).toBe(ProposalState.Canceled)

    const second = ozProposal('Grant #3')
    const { proposalId: id2 } = await proposeOz(lab, gov, second)
    await passOz(lab, gov, id2)
    const { operationId } = await queueOz(lab, gov, second)
    const veto = await lab.wallet.writeContract({
      account: gov.guardian,
      chain: null,
      address: gov.timelock,
      abi: timelockAbi,
      functionName: 'cancel',
      args: [operationId],
    })
    expect((await lab.public.waitForTransactionReceipt({ hash: veto })).status).toBe('success')
    expect(await state(id2)).toBe(ProposalState.Canceled)
    await expect(executeOz(lab, gov, second)).rejects.toThrow()
  })

  it('executes a Bravo proposal whose calldata holds only the arguments of its signature', async () => {
    const amount = parseEther('250')
    const { proposalId } = await proposeBravo(lab, gov, {
      targets: [gov.token, recipient],
      values: [0n, parseEther('2')],
      signatures: ['transfer(address,uint256)', ''],
      calldatas: [encodeAbiParameters(parseAbiParameters('address, uint256'), [recipient, amount]), '0x'],
      description: 'Bravo grant',
    })
    await passBravo(lab, gov, proposalId)
    const { eta } = await queueBravo(lab, gov, proposalId)
    expect(eta).toBeGreaterThan(0n)
    const [tokensBefore, ethBefore] = await Promise.all([
      balanceOf(lab, gov.token, recipient),
      lab.public.getBalance({ address: recipient }),
    ])
    await executeBravo(lab, gov, proposalId)
    expect((await balanceOf(lab, gov.token, recipient)) - tokensBefore).toBe(amount)
    expect((await lab.public.getBalance({ address: recipient })) - ethBefore).toBe(parseEther('2'))
    expect(
      await lab.public.readContract({
        address: gov.bravo,
        abi: bravoAbi,
        functionName: 'state',
        args: [proposalId],
      }),
    ).toBe(ProposalState.Executed)
  })

  it('cannot swap metamorphic code after Cancun: SELFDESTRUCT keeps it (EIP-6780)', async () => {
    const { factory } = await deployMetamorphic(lab, 'benign')
    await expect(destroyMetamorphic(lab, factory)).rejects.toThrow(/shanghai/)
  })

  it('lets the guardian cancel a Bravo proposal', async () => {
    const { proposalId } = await proposeBravo(lab, gov, {
      targets: [recipient],
      values: [parseEther('1')],
      signatures: [''],
      calldatas: ['0x'],
      description: 'Bravo payment',
    })
    await passBravo(lab, gov, proposalId)
    await queueBravo(lab, gov, proposalId)
    const hash = await lab.wallet.writeContract({
      account: gov.guardian,
      chain: null,
      address: gov.bravo,
      abi: bravoAbi,
      functionName: 'cancel',
      args: [proposalId],
    })
    expect((await lab.public.waitForTransactionReceipt({ hash })).status).toBe('success')
    expect(
      await lab.public.readContract({
        address: gov.bravo,
        abi: bravoAbi,
        functionName: 'state',
        args: [proposalId],
      }),
    ).toBe(ProposalState.Canceled)
  })
})

describe('metamorphic proposal contract on a Shanghai lab', () => {
  let lab: Lab
  let bravo: BravoStack
  beforeAll(async () => {
    lab = await startLab({ hardfork: 'shanghai' })
    bravo = await deployBravoGovernance(lab)
  })
  afterAll(() => lab?.stop())

  it('refuses the OZ 5.7 stack, which needs Cancun', async () => {
    await expect(deployGovernance(lab)).rejects.toThrow(/Cancun/)
  })

  it('swaps benign code for malicious code at the same address between proposal and execution', async () => {
    const [, , , , , owner, , , , grantee] = lab.accounts as LabAccount[]
    if (!owner || !grantee) throw new Error('accounts')
    const attacker = owner.address
    const benign = await deployMetamorphic(lab, 'benign', { recipient: grantee.address })
    const { proposalId } = await proposeBravo(lab, bravo, {
      targets: [benign.proposalAddress],
      values: [parseEther('5')],
      signatures: ['execute()'],
      calldatas: ['0x'],
      description: 'Fund the grants program through its (reviewed) contract',
    })
    const codeAtProposal = (await lab.public.getCode({ address: benign.proposalAddress })) as Hex
    expect(keccak256(codeAtProposal)).toBe(benign.codeHash)

    await passBravo(lab, bravo, proposalId)
    await destroyMetamorphic(lab, benign.factory)
    expect(await lab.public.getCode({ address: benign.proposalAddress })).toBeUndefined()
    const malicious = await deployMetamorphic(lab, 'malicious', { factory: benign.factory, attacker })
    expect(malicious.proposalAddress).toBe(benign.proposalAddress)
    expect(malicious.deployer).toBe(benign.deployer)
    expect(malicious.codeHash).not.toBe(benign.codeHash)

    await queueBravo(lab, bravo, proposalId)
    const [granteeBefore, attackerBefore] = await Promise.all([
      lab.public.getBalance({ address: grantee.address }),
      lab.public.getBalance({ address: attacker }),
    ])
    await executeBravo(lab, bravo, proposalId)
    expect(await lab.public.getBalance({ address: grantee.address })).toBe(granteeBefore)
    expect((await lab.public.getBalance({ address: attacker })) - attackerBefore).toBe(parseEther('5'))
  })
})
