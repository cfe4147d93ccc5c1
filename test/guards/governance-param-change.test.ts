import {
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  parseAbi,
  parseEther,
  toBytes,
  zeroAddress,
  zeroHash,
} from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/governance-param-change.js'
import type { GovernanceParams } from '../../src/model/governance.js'
import { ATTACKER, findings, GOVERNOR, type GovernanceCase, TIMELOCK, USDC } from '../helpers/governance.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const abi = parseAbi([
  'function setVotingDelay(uint48)',
  'function setVotingPeriod(uint32)',
  'function setProposalThreshold(uint256)',
  'function updateQuorumNumerator(uint256)',
  'function updateTimelock(address)',
  'function setProposalGuardian(address)',
  'function updateDelay(uint256)',
  'function _setVotingPeriod(uint256)',
  'function _setWhitelistGuardian(address)',
  'function setDelay(uint256)',
  'function _setPendingAdmin(address)',
  'function setPendingAdmin(address)',
  'function grantRole(bytes32,address)',
  'function revokeRole(bytes32,address)',
  'function schedule(address,uint256,bytes,bytes32,bytes32,uint256)',
])
const enc = (functionName: string, ...args: unknown[]): Hex =>
  encodeFunctionData({ abi, functionName, args } as never)
const role = (name: string) => keccak256(toBytes(name))
const GUARDIAN = getAddress('0xbbf3f1421d886e9b2c5d716b5192ac998af2012c')
const COUNCIL = getAddress('0x7e959eab54932f5cfd10239160a7fd6474171318')
const OTHER_GOVERNOR = getAddress('0x408ed6354d4973f66138c91495f2f2fcbd8724c3')
const DAY = 86_400n
// An OpenZeppelin Governor with a 2-day TimelockController and a proposal guardian.
const params: GovernanceParams = {
  votingDelay: 7200n,
  votingPeriod: 50_400n,
  proposalThreshold: parseEther('25000'),
  quorumNumerator: 4n,
  quorumDenominator: 100n,
  timelockMinDelay: 2n * DAY,
  proposalGuardian: GUARDIAN,
  timelock: TIMELOCK,
}
const oz = { flavor: 'oz' as const, params }
const onGovernor = (data: Hex) => ({ calls: [{ to: GOVERNOR, data }], facts: oz })
const onTimelock = (data: Hex) => ({ calls: [{ to: TIMELOCK, data }], facts: oz })
const C = (code: string, severity: string) => `${code}:${severity}`

const cases: Array<GovernanceCase<object> & { name: string; expect: string[] }> = [
  {
    name: 'timelock delay from 2 days to 1 day',
    ...onTimelock(enc('updateDelay', DAY)),
    expect: [C('timelock-delay-lowered', 'high')],
  },
  {
    name: 'timelock delay from 2 days to 1 hour, below the default 1-day floor',
    ...onTimelock(enc('updateDelay', 3600n)),
    expect: [C('timelock-delay-lowered', 'critical')],
  },
  {
    name: 'timelock delay from 2 days to 1 hour, with a 1-hour floor',
    ...onTimelock(enc('updateDelay', 3600n)),
    options: { minTimelockDelaySeconds: 3600 },
    expect: [C('timelock-delay-lowered', 'high')],
  },
  {
    name: 'timelock delay to 0',
    ...onTimelock(enc('updateDelay', 0n)),
    options: { minTimelockDelaySeconds: 0 },
    expect: [C('timelock-delay-lowered', 'critical')],
  },
  {
    name: 'timelock delay raised to 3 days',
    ...onTimelock(enc('updateDelay', 3n * DAY)),
    expect: [C('timelock-delay-raised', 'low')],
  },
  {
    name: 'the delay set to the value it has',
    ...onTimelock(enc('updateDelay', 2n * DAY)),
    expect: [],
  },
  {
    name: 'a Compound timelock: setDelay from 2 days to 1 hour',
    calls: [{ to: TIMELOCK, data: enc('setDelay', 3600n) }],
    facts: { params: { timelockMinDelay: 2n * DAY } },
    expect: [C('timelock-delay-lowered', 'critical')],
  },
  {
    name: 'a delay change the proposal schedules in the timelock',
    calls: [
      {
        to: TIMELOCK,
        data: enc('schedule', TIMELOCK, 0n, enc('updateDelay', 0n), zeroHash, zeroHash, 2n * DAY),
      },
    ],
    facts: oz,
    expect: [C('timelock-delay-lowered', 'critical')],
  },
  {
    name: 'voting delay lowered',
    ...onGovernor(enc('setVotingDelay', 1n)),
    expect: [C('voting-delay-lowered', 'high')],
  },
  {
    name: 'voting delay to 0',
    ...onGovernor(enc('setVotingDelay', 0n)),
    expect: [C('voting-delay-lowered', 'critical')],
  },
  {
    name: 'voting period raised',
    ...onGovernor(enc('setVotingPeriod', 100_800n)),
    expect: [C('voting-period-raised', 'low')],
  },
  {
    name: 'Bravo: voting period lowered from 19710 to 5760 blocks',
    calls: [{ to: GOVERNOR, data: enc('_setVotingPeriod', 5760n) }],
    facts: { params: { votingPeriod: 19_710n } },
    expect: [C('voting-period-lowered', 'high')],
  },
  {
    name: 'voting period below a configured floor',
    ...onGovernor(enc('setVotingPeriod', 100n)),
    options: { minVotingPeriod: 7200 },
    expect: [C('voting-period-lowered', 'critical')],
  },
  {
    name: 'quorum lowered from 4 % to 1 %',
    ...onGovernor(enc('updateQuorumNumerator', 1n)),
    expect: [C('quorum-lowered', 'high')],
  },
  {
    name: 'quorum to 0',
    ...onGovernor(enc('updateQuorumNumerator', 0n)),
    expect: [C('quorum-lowered', 'critical')],
  },
  {
    name: 'quorum above 100 %',
    ...onGovernor(enc('updateQuorumNumerator', 101n)),
    expect: [C('quorum-raised', 'high')],
  },
  {
    name: 'proposal threshold raised',
    ...onGovernor(enc('setProposalThreshold', parseEther('100000'))),
    expect: [C('proposal-threshold-raised', 'medium')],
  },
  {
    name: 'proposal threshold to 0',
    ...onGovernor(enc('setProposalThreshold', 0n)),
    expect: [C('proposal-threshold-lowered', 'high')],
  },
  {
    name: 'proposal guardian removed',
    ...onGovernor(enc('setProposalGuardian', zeroAddress)),
    expect: [C('guardian-removed', 'critical')],
  },
  {
    name: 'proposal guardian changed',
    ...onGovernor(enc('setProposalGuardian', COUNCIL)),
    expect: [C('guardian-changed', 'high')],
  },
  {
    name: 'proposal guardian set to the one it has',
    ...onGovernor(enc('setProposalGuardian', GUARDIAN)),
    expect: [],
  },
  {
    name: 'Bravo: whitelist guardian changed',
    calls: [{ to: GOVERNOR, data: enc('_setWhitelistGuardian', ATTACKER) }],
    facts: {},
    expect: [C('guardian-changed', 'high')],
  },
  {
    name: 'timelock replaced',
    ...onGovernor(enc('updateTimelock', ATTACKER)),
    expect: [C('timelock-replaced', 'critical')],
  },
  {
    name: 'Bravo: a pending admin on the governor',
    calls: [{ to: GOVERNOR, data: enc('_setPendingAdmin', ATTACKER) }],
    facts: {},
    expect: [C('pending-admin-set', 'critical')],
  },
  {
    name: 'Compound timelock: a pending admin',
    calls: [{ to: TIMELOCK, data: enc('setPendingAdmin', ATTACKER) }],
    facts: {},
    expect: [C('pending-admin-set', 'critical')],
  },
  {
    name: 'PROPOSER_ROLE to an unknown address',
    ...onTimelock(enc('grantRole', role('PROPOSER_ROLE'), ATTACKER)),
    expect: [C('timelock-role-granted', 'critical')],
  },
  {
    name: 'PROPOSER_ROLE to a second governor in the address book',
    ...onTimelock(enc('grantRole', role('PROPOSER_ROLE'), COUNCIL)),
    addressBook: [{ address: COUNCIL, name: 'Security council' }],
    expect: [C('timelock-role-granted', 'high')],
  },
  {
    name: 'CANCELLER_ROLE to the guardian',
    ...onTimelock(enc('grantRole', role('CANCELLER_ROLE'), GUARDIAN)),
    expect: [C('timelock-role-granted', 'high')],
  },
  {
    name: 'DEFAULT_ADMIN_ROLE on the timelock to an unknown address',
    ...onTimelock(enc('grantRole', zeroHash, ATTACKER)),
    expect: [C('timelock-role-granted', 'critical')],
  },
  {
    name: 'PROPOSER_ROLE revoked from the governor',
    ...onTimelock(enc('revokeRole', role('PROPOSER_ROLE'), GOVERNOR)),
    expect: [C('timelock-role-revoked', 'critical')],
  },
  {
    name: 'CANCELLER_ROLE revoked from the guardian',
    ...onTimelock(enc('revokeRole', role('CANCELLER_ROLE'), GUARDIAN)),
    expect: [C('timelock-role-revoked', 'high')],
  },
  {
    name: 'DEFAULT_ADMIN_ROLE on a token (privileged-call judges it)',
    calls: [{ to: USDC, data: enc('grantRole', zeroHash, ATTACKER) }],
    facts: oz,
    expect: [],
  },
  {
    name: 'a role with no governance meaning on the timelock',
    ...onTimelock(enc('grantRole', role('MINTER_ROLE'), ATTACKER)),
    expect: [],
  },
  {
    name: 'current values unknown: still flagged',
    calls: [{ to: TIMELOCK, data: enc('updateDelay', DAY) }],
    facts: {},
    expect: [C('timelock-delay-changed', 'medium')],
  },
  {
    name: 'current values unknown, the new one below the floor',
    calls: [{ to: TIMELOCK, data: enc('updateDelay', 3600n) }],
    facts: {},
    expect: [C('timelock-delay-changed', 'critical')],
  },
  {
    name: "another governor's voting delay (its current value is not read)",
    calls: [{ to: OTHER_GOVERNOR, data: enc('setVotingDelay', 1n) }],
    facts: oz,
    expect: [C('voting-delay-changed', 'medium')],
  },
  {
    name: "another governor's voting period (its current value is not read)",
    calls: [{ to: OTHER_GOVERNOR, data: enc('setVotingPeriod', 100n) }],
    facts: oz,
    expect: [C('voting-period-changed', 'medium')],
  },
  {
    name: 'a voting period raised, but still below the configured floor',
    ...onGovernor(enc('setVotingPeriod', 60_000n)),
    options: { minVotingPeriod: 100_000 },
    expect: [C('voting-period-raised', 'critical')],
  },
  {
    name: "another governor's proposal threshold set to zero",
    calls: [{ to: OTHER_GOVERNOR, data: enc('setProposalThreshold', 0n) }],
    facts: oz,
    expect: [C('proposal-threshold-changed', 'high')],
  },
  {
    name: "another governor's quorum set to zero",
    calls: [{ to: OTHER_GOVERNOR, data: enc('updateQuorumNumerator', 0n) }],
    facts: oz,
    expect: [C('quorum-changed', 'critical')],
  },
  {
    name: 'lowered and restored in one proposal',
    calls: [
      { to: GOVERNOR, data: enc('setVotingDelay', 1n) },
      { to: GOVERNOR, data: enc('setVotingDelay', 7200n) },
    ],
    facts: oz,
    expect: [C('voting-delay-lowered', 'high'), C('voting-delay-raised', 'low')],
  },
  {
    name: 'setDelay on a contract that is not the timelock (a common name)',
    calls: [{ to: USDC, data: enc('setDelay', 600n) }],
    facts: oz,
    expect: [C('timelock-delay-changed', 'medium')],
  },
  {
    name: 'a timelock operation lowering its own delay',
    kind: 'timelock',
    calls: [{ to: TIMELOCK, data: enc('updateDelay', 0n) }],
    facts: { flavor: 'timelock', params: { timelockMinDelay: 2n * DAY } },
    expect: [C('timelock-delay-lowered', 'critical')],
  },
  {
    name: 'a plain payment',
    calls: [{ to: ATTACKER, value: parseEther('1') }],
    facts: oz,
    expect: [],
  },
  {
    name: 'no governance facts',
    calls: [{ to: TIMELOCK, data: enc('updateDelay', 0n) }],
    facts: null,
    expect: [],
  },
]

guardTester(
  guard,
  table(cases, (c) => findings(guard, c)),
)

describe('governance-param-change, beyond the table', () => {
  it('names the contract, the values and the floor', async () => {
    const [finding] = await findings(guard, onTimelock(enc('updateDelay', 3600n)))
    expect(finding?.message).toBe(
      `lowers the timelock delay of ${TIMELOCK} (the timelock) from 172800 s (2 days) to 3600 s (1 hour) (below the floor of 86400 s (1 day))`,
    )
    expect(finding?.path).toBe('0.0')
  })

  it('says what a removed guardian means', async () => {
    const [finding] = await findings(guard, onGovernor(enc('setProposalGuardian', zeroAddress)))
    expect(finding?.message).toBe(
      `removes the proposal guardian of ${GOVERNOR} (the governor) from ${GUARDIAN}: nobody can cancel a malicious proposal any more`,
    )
  })

  it('says the current value could not be read', async () => {
    const [finding] = await findings(guard, {
      calls: [{ to: GOVERNOR, data: enc('updateQuorumNumerator', 2n) }],
      facts: {},
    })
    expect(finding?.message).toBe(
      `sets the quorum numerator of ${GOVERNOR} (the governor) to 2; its current value could not be read`,
    )
  })

  it('names the role and the power it gives', async () => {
    const [finding] = await findings(guard, onTimelock(enc('grantRole', role('PROPOSER_ROLE'), ATTACKER)))
    expect(finding?.message).toBe(
      `grants PROPOSER_ROLE on ${TIMELOCK} (the timelock) to ${ATTACKER as Address}, who then can schedule operations without a vote (not the governor, the timelock or in the address book)`,
    )
  })
})
