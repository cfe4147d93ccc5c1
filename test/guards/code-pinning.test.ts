import { getAddress, type Hash, keccak256 } from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/code-pinning.js'
import type { CodePin } from '../../src/model/governance.js'
import {
  BENIGN_PROPOSAL_RUNTIME,
  CLONE_RUNTIME,
  findings,
  type GovernanceCase,
  GRANTEE,
  USDC,
} from '../helpers/governance.js'
import { guardTester, table } from '../helpers/guard-tester.js'

// The Tornado Cash takeover: voters reviewed the proposal contract's code; before execution it was
// destroyed and other code deployed at the same address.
const PROPOSAL = getAddress('0x7e9f4d6c8b5a2e3f1d0c9b8a7e6f5d4c3b2a1908')
const REVIEWED: Hash = keccak256(BENIGN_PROPOSAL_RUNTIME)
const SWAPPED: Hash = keccak256(CLONE_RUNTIME)
const USDC_CODE: Hash = keccak256('0x6080604052')
const pin = (fields: Partial<CodePin>): CodePin => ({
  address: PROPOSAL,
  atCreation: REVIEWED,
  now: REVIEWED,
  target: true,
  ...fields,
})
const execute = [{ to: PROPOSAL, data: '0x61461954' as const }]
const C = (code: string, severity: string) => `${code}:${severity}`

const cases: Array<GovernanceCase<object> & { name: string; expect: string[] }> = [
  { name: 'the code is what voters saw', calls: execute, facts: { code: [pin({})] }, expect: [] },
  {
    name: 'Tornado Cash: the code changed since the proposal was created',
    calls: execute,
    facts: { code: [pin({ now: SWAPPED })] },
    expect: [C('code-changed', 'critical')],
  },
  {
    name: 'the target self-destructed (it can be redeployed)',
    calls: execute,
    facts: { code: [pin({ now: null })] },
    expect: [C('code-vanished', 'critical')],
  },
  {
    name: 'code appeared at a target that was empty at creation',
    calls: execute,
    facts: { code: [pin({ atCreation: null })] },
    expect: [C('code-appeared', 'high')],
  },
  {
    name: 'a contract the simulation touched changed',
    calls: execute,
    facts: { code: [pin({}), { address: USDC, atCreation: USDC_CODE, now: SWAPPED, target: false }] },
    expect: [C('code-changed', 'critical')],
  },
  {
    name: 'a touched contract that was empty at creation',
    calls: execute,
    facts: { code: [pin({}), { address: USDC, atCreation: null, now: USDC_CODE, target: false }] },
    expect: [C('code-appeared', 'medium')],
  },
  {
    name: 'a payment to an account with no code then and now',
    calls: [{ to: GRANTEE, value: 1n }],
    facts: { code: [pin({ address: GRANTEE, atCreation: null, now: null })] },
    expect: [],
  },
  {
    name: 'hashes and addresses in another case',
    calls: execute,
    facts: {
      code: [
        pin({
          address: PROPOSAL.toLowerCase() as `0x${string}`,
          now: REVIEWED.toUpperCase().replace('0X', '0x') as Hash,
        }),
      ],
    },
    expect: [],
  },
  {
    name: 'a target without a pin',
    calls: execute,
    facts: { code: [], problems: ['the RPC is not an archive node'] },
    expect: [C('code-not-pinned', 'medium')],
  },
  { name: 'no governance facts', calls: execute, facts: null, expect: [] },
]

guardTester(
  guard,
  table(cases, (c) => findings(guard, c)),
)

describe('code-pinning, beyond the table', () => {
  it('names the address, the block and both hashes', async () => {
    const [finding] = await findings(guard, { calls: execute, facts: { code: [pin({ now: SWAPPED })] } })
    expect(finding?.message).toBe(
      `the code at ${PROPOSAL} (a target) changed since the proposal was created in block 20000000 (code hash ${REVIEWED}, now ${SWAPPED}): voters approved other code. The Tornado Cash pattern`,
    )
  })

  it('says why a target is not pinned', async () => {
    const [finding] = await findings(guard, {
      calls: execute,
      facts: { code: [], problems: ['the RPC is not an archive node'] },
    })
    expect(finding?.message).toContain('(the RPC is not an archive node)')
  })
})
