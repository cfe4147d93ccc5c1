import { getAddress, type Hex, keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/selfdestruct.js'
import type { CodePin } from '../../src/model/governance.js'
import { inspectWithSimulation, SAFE, simulation, TOKEN } from '../helpers/build.js'
import {
  ATTACKER,
  BENIGN_PROPOSAL_RUNTIME,
  CLONE_RUNTIME,
  findings,
  type GovernanceCase,
  USDC,
} from '../helpers/governance.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const PROPOSAL = getAddress('0x7e9f4d6c8b5a2e3f1d0c9b8a7e6f5d4c3b2a1908')
const PUSHES_FF: Hex = `0x7f${'ff'.repeat(32)}5f5260205ff3`
const pinned = (code: Hex, fields: Partial<CodePin> = {}): CodePin => ({
  address: PROPOSAL,
  atCreation: keccak256(code),
  now: keccak256(code),
  code,
  target: true,
  ...fields,
})
const execute = [{ to: PROPOSAL, data: '0x61461954' as const }]
const destroyed = {
  codeChanges: [{ kind: 'selfdestruct' as const, address: PROPOSAL, by: PROPOSAL, beneficiary: ATTACKER }],
}
const C = (code: string, severity: string) => `${code}:${severity}`

const cases: Array<GovernanceCase<object> & { name: string; expect: string[] }> = [
  {
    name: "SELFDESTRUCT reachable in a target's code (not simulated)",
    calls: execute,
    facts: { code: [pinned(BENIGN_PROPOSAL_RUNTIME)] },
    expect: [C('selfdestruct-reachable', 'high')],
  },
  {
    name: 'SELFDESTRUCT reachable and reached in the simulation',
    calls: execute,
    simulation: destroyed,
    facts: { code: [pinned(BENIGN_PROPOSAL_RUNTIME)] },
    expect: [C('selfdestruct', 'critical')],
  },
  {
    name: 'a target whose PUSH32 data holds 0xff',
    calls: execute,
    facts: { code: [pinned(PUSHES_FF)] },
    expect: [],
  },
  {
    name: 'a proxy target (DELEGATECALL, no SELFDESTRUCT)',
    calls: execute,
    facts: { code: [pinned(CLONE_RUNTIME)] },
    expect: [],
  },
  {
    name: 'a contract the simulation only touched',
    calls: execute,
    facts: { code: [pinned(BENIGN_PROPOSAL_RUNTIME, { address: USDC, target: false })] },
    expect: [],
  },
  {
    name: 'a target whose code was not read',
    calls: execute,
    facts: { code: [{ address: PROPOSAL, atCreation: null, now: null, target: true }] },
    expect: [],
  },
  {
    name: 'reached in the simulation, no governance facts',
    calls: execute,
    simulation: destroyed,
    facts: null,
    expect: [C('selfdestruct', 'critical')],
  },
  { name: 'nothing known', calls: execute, facts: null, expect: [] },
]

// A Safe transaction, judged on a recorded simulation through the real pipeline.
const EVIL = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const safeSimulated = (fields: Parameters<typeof simulation>[0]) => () =>
  inspectWithSimulation({ ok: true, simulation: simulation(fields) })
const governance = table(cases, (c) => findings(guard, c))

guardTester(guard, {
  valid: [
    ...governance.valid,
    {
      name: 'a Safe transaction that creates a contract',
      run: safeSimulated({ codeChanges: [{ kind: 'created', address: EVIL, by: SAFE }] }),
    },
  ],
  invalid: [
    ...governance.invalid,
    {
      name: 'a Safe transaction that reaches SELFDESTRUCT',
      run: safeSimulated({
        codeChanges: [{ kind: 'selfdestruct', address: TOKEN, by: TOKEN, beneficiary: EVIL }],
      }),
      expect: ['selfdestruct:critical'],
    },
  ],
})

describe('selfdestruct, beyond the table', () => {
  it('names the target and the byte', async () => {
    const [finding] = await findings(guard, {
      calls: execute,
      facts: { code: [pinned(BENIGN_PROPOSAL_RUNTIME)] },
    })
    expect(finding?.message).toContain(
      `the target ${PROPOSAL} has a reachable SELFDESTRUCT in its code (byte 0x221)`,
    )
  })
})
