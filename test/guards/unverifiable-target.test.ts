import { getAddress, type Hex, keccak256, parseEther } from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/unverifiable-target.js'
import type { CodePin } from '../../src/model/governance.js'
import {
  BENIGN_PROPOSAL_RUNTIME,
  CLONE_RUNTIME,
  findings,
  type GovernanceCase,
  GRANTEE,
} from '../helpers/governance.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const TARGET = getAddress('0x7e9f4d6c8b5a2e3f1d0c9b8a7e6f5d4c3b2a1908')
const CREATED = 20_000_000n
// Rejects ETH, returns 42: nothing that can vanish or run other code.
const PLAIN: Hex = '0x6080604052348015600e575f5ffd5b50602a5f5260205ff3'
// PUSH32 of 0xff bytes, then returns it: the 0xff are data, not SELFDESTRUCT.
const PUSHES_FF: Hex = `0x7f${'ff'.repeat(32)}5f5260205ff3`
const deployed = (code: Hex | undefined, blocksBefore: bigint, fields: Partial<CodePin> = {}): CodePin => ({
  address: TARGET,
  atCreation: code ? keccak256(code) : null,
  now: code ? keccak256(code) : null,
  ...(code ? { code } : {}),
  deployedBlock: CREATED - blocksBefore,
  target: true,
  ...fields,
})
const execute = [{ to: TARGET, data: '0x61461954' as const }]
const C = (code: string, severity: string) => `${code}:${severity}`

const cases: Array<GovernanceCase<object> & { name: string; expect: string[] }> = [
  {
    name: 'a call to a contract deployed a year before',
    calls: execute,
    facts: { code: [deployed(PLAIN, 2_600_000n)] },
    expect: [],
  },
  {
    name: 'calldata to an address with no code',
    calls: execute,
    facts: { code: [{ address: TARGET, atCreation: null, now: null, target: true }] },
    expect: [C('no-code', 'high')],
  },
  {
    name: 'calldata with ETH to an address with no code',
    calls: [{ ...execute[0], to: TARGET, value: parseEther('10') }],
    facts: { code: [{ address: TARGET, atCreation: null, now: null, target: true }] },
    expect: [C('no-code', 'high')],
  },
  {
    name: 'a plain ETH payment to an account',
    calls: [{ to: GRANTEE, value: parseEther('10') }],
    facts: { code: [{ address: GRANTEE, atCreation: null, now: null, target: true }] },
    expect: [],
  },
  {
    name: 'calldata to an address custos did not pin (code-pinning says so)',
    calls: execute,
    facts: { code: [] },
    expect: [],
  },
  {
    name: 'a contract deployed 10,000 blocks before the proposal',
    calls: execute,
    facts: { code: [deployed(PLAIN, 10_000n)] },
    expect: [C('recent-contract', 'medium')],
  },
  {
    name: 'a recent contract whose PUSH32 data holds 0xff',
    calls: execute,
    facts: { code: [deployed(PUSHES_FF, 10_000n)] },
    expect: [C('recent-contract', 'medium')],
  },
  {
    name: 'a recent contract with SELFDESTRUCT in its code (Tornado Cash)',
    calls: execute,
    facts: { code: [deployed(BENIGN_PROPOSAL_RUNTIME, 10_000n)] },
    expect: [C('recent-contract', 'critical')],
  },
  {
    name: 'a recent proxy (DELEGATECALL)',
    calls: execute,
    facts: { code: [deployed(CLONE_RUNTIME, 100n)] },
    expect: [C('recent-contract', 'critical')],
  },
  {
    name: 'a recent contract whose code was not read',
    calls: execute,
    facts: { code: [deployed(undefined, 100n, { atCreation: keccak256(PLAIN), now: keccak256(PLAIN) })] },
    expect: [C('recent-contract', 'medium')],
  },
  {
    name: 'a contract deployed in the same block',
    calls: execute,
    facts: { code: [deployed(PLAIN, 0n)] },
    expect: [C('recent-contract', 'medium')],
  },
  {
    name: 'older than a configured window',
    calls: execute,
    facts: { code: [deployed(BENIGN_PROPOSAL_RUNTIME, 10_000n)] },
    options: { recentBlocks: 5000 },
    expect: [],
  },
  {
    name: 'deployed after the proposal (code-pinning says so)',
    calls: execute,
    facts: { code: [deployed(PLAIN, -10n)] },
    expect: [],
  },
  {
    name: 'a recent contract the simulation only touched',
    calls: [{ to: GRANTEE, value: 1n }],
    facts: { code: [deployed(BENIGN_PROPOSAL_RUNTIME, 10n, { target: false })] },
    expect: [],
  },
  { name: 'no governance facts', calls: execute, facts: null, expect: [] },
]

guardTester(
  guard,
  table(cases, (c) => findings(guard, c)),
)

describe('unverifiable-target, beyond the table', () => {
  it('names the opcode and where it is', async () => {
    const [finding] = await findings(guard, {
      calls: execute,
      facts: { code: [deployed(BENIGN_PROPOSAL_RUNTIME, 10_000n)] },
    })
    expect(finding?.message).toBe(
      `the target ${TARGET} was deployed in block 19990000, 10000 blocks before the proposal (block 20000000): voters had little time to review it; its code can reach SELFDESTRUCT (byte 0x221): it can be replaced or run other code by the time the proposal executes`,
    )
  })

  it('says what a call to an empty address means', async () => {
    const [finding] = await findings(guard, {
      calls: execute,
      facts: { code: [{ address: TARGET, atCreation: null, now: null, target: true }] },
    })
    expect(finding?.path).toBe('0.0')
    expect(finding?.message).toContain(`sends calldata (0x61461954) to ${TARGET}, which has no code`)
  })
})
