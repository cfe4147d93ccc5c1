import { type Address, parseEther, zeroAddress } from 'viem'
import type { Lab, LabAccount } from '../index.js'
import { govTokenAbi, timelockAbi } from './abis.js'
import { deployBravoContracts } from './bravo.js'
import { deploy, mined, runsMcopy } from './chain.js'
import { loadGovernanceArtifacts } from './compile.js'
import {
  type BravoStack,
  GOV_TOKEN_SUPPLY,
  type GovernanceOptions,
  type GovernanceSettings,
  type GovernanceStack,
} from './types.js'

const DEFAULTS: GovernanceSettings = {
  votingDelay: 1,
  votingPeriod: 10,
  proposalThreshold: 0n,
  quorumNumerator: 4,
  minDelay: 3600,
  treasuryEth: parseEther('100'),
  treasuryTokens: parseEther('300000'),
}

function resolve(lab: Lab, opts: GovernanceOptions) {
  const [deployer, , , , , , , voter, defaultGuardian] = lab.accounts as LabAccount[]
  if (!deployer || !voter || !defaultGuardian) throw new Error('lab: governance needs the 10 dev accounts')
  const { guardian, ...settings } = opts
  return {
    settings: { ...DEFAULTS, ...settings },
    deployer: deployer.address,
    voter: voter.address,
    guardian: guardian ?? defaultGuardian.address,
  }
}

/**
 * The OZ 5 stack (GovToken, TimelockController, LabGovernor with a proposal guardian) and a Bravo stack
 * on the same token, each timelock funded as the DAO's treasury. Accounts: 0 deploys, 7 votes, 8 guards.
 * Needs a Cancun-or-later lab (OZ 5.7 uses MCOPY); on Shanghai use deployBravoGovernance.
 */
export async function deployGovernance(lab: Lab, opts: GovernanceOptions = {}): Promise<GovernanceStack> {
  if (!(await runsMcopy(lab)))
    throw new Error(
      'lab: the OZ 5.7 governor needs a Cancun-or-later chain (MCOPY); on a Shanghai lab use deployBravoGovernance',
    )
  const { contracts: c } = await loadGovernanceArtifacts()
  const { settings, deployer, voter, guardian } = resolve(lab, opts)
  const token = await deploy(lab, deployer, c.GovToken, [
    'Lab Governance Token',
    'LGT',
    voter,
    GOV_TOKEN_SUPPLY,
  ])
  await mined(
    lab,
    lab.wallet.writeContract({
      account: voter,
      chain: null,
      address: token,
      abi: govTokenAbi,
      functionName: 'delegate',
      args: [voter],
    }),
    'delegate',
  )
  // The deployer administers the timelock only until the roles are set, then renounces: from then on
  // the timelock administers itself, as in a real DAO.
  const timelock = await deploy(lab, deployer, c.TimelockController, [
    settings.minDelay,
    [],
    [zeroAddress],
    deployer,
  ])
  const governor = await deploy(lab, deployer, c.LabGovernor, [
    token,
    timelock,
    settings.votingDelay,
    settings.votingPeriod,
    settings.proposalThreshold,
    settings.quorumNumerator,
    guardian,
  ])
  const role = (name: 'PROPOSER_ROLE' | 'CANCELLER_ROLE' | 'DEFAULT_ADMIN_ROLE') =>
    lab.public.readContract({ address: timelock, abi: timelockAbi, functionName: name })
  const [proposer, canceller, admin] = await Promise.all([
    role('PROPOSER_ROLE'),
    role('CANCELLER_ROLE'),
    role('DEFAULT_ADMIN_ROLE'),
  ])
  for (const [r, account] of [
    [proposer, governor],
    [canceller, governor],
    [canceller, guardian],
  ] as const) {
    await mined(
      lab,
      lab.wallet.writeContract({
        account: deployer,
        chain: null,
        address: timelock,
        abi: timelockAbi,
        functionName: 'grantRole',
        args: [r, account],
      }),
      'grantRole',
    )
  }
  await mined(
    lab,
    lab.wallet.writeContract({
      account: deployer,
      chain: null,
      address: timelock,
      abi: timelockAbi,
      functionName: 'renounceRole',
      args: [admin, deployer],
    }),
    'renounceRole',
  )
  const bravo = await deployBravoContracts(lab, c, { token, deployer, guardian, settings })
  await fundTreasury(lab, { token, voter, deployer, settings }, timelock)
  await fundTreasury(lab, { token, voter, deployer, settings }, bravo.bravoTimelock)
  return {
    token,
    governor,
    timelock,
    ...bravo,
    guardian,
    voter,
    deployer,
    settings,
    abis: {
      token: c.GovToken.abi,
      governor: c.LabGovernor.abi,
      timelock: c.TimelockController.abi,
      bravo: c.LabBravo.abi,
      bravoTimelock: c.LabBravoTimelock.abi,
    },
  }
}

/**
 * A Bravo stack alone, on LabVotesToken (votes = balance, no delegation) so that it runs on any fork
 * from Shanghai on: the stack for the metamorphic scenario. Same accounts as deployGovernance.
 */
export async function deployBravoGovernance(lab: Lab, opts: GovernanceOptions = {}): Promise<BravoStack> {
  const { contracts: c } = await loadGovernanceArtifacts()
  const { settings, deployer, voter, guardian } = resolve(lab, opts)
  const token = await deploy(lab, deployer, c.LabVotesToken, [
    'Lab Votes Token',
    'LVT',
    voter,
    GOV_TOKEN_SUPPLY,
  ])
  const bravo = await deployBravoContracts(lab, c, { token, deployer, guardian, settings })
  await fundTreasury(lab, { token, voter, deployer, settings }, bravo.bravoTimelock)
  return {
    token,
    ...bravo,
    guardian,
    voter,
    deployer,
    settings,
    abis: { token: c.LabVotesToken.abi, bravo: c.LabBravo.abi, bravoTimelock: c.LabBravoTimelock.abi },
  }
}

async function fundTreasury(
  lab: Lab,
  s: { token: Address; voter: Address; deployer: Address; settings: GovernanceSettings },
  treasury: Address,
): Promise<void> {
  if (s.settings.treasuryEth > 0n)
    await mined(
      lab,
      lab.wallet.sendTransaction({
        account: s.deployer,
        chain: null,
        to: treasury,
        value: s.settings.treasuryEth,
      }),
      'treasury ETH',
    )
  if (s.settings.treasuryTokens > 0n)
    await mined(
      lab,
      lab.wallet.writeContract({
        account: s.voter,
        chain: null,
        address: s.token,
        abi: govTokenAbi,
        functionName: 'transfer',
        args: [treasury, s.settings.treasuryTokens],
      }),
      'treasury tokens',
    )
}
