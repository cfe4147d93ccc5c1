import { encodeFunctionData, type Hex, maxUint256, parseAbi, zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import type { Approval } from '../../src/model/simulation.js'
import {
  ALICE,
  BOB,
  codesOf,
  inspectOffline,
  inspectWithSimulation,
  MULTISEND_CALL_ONLY,
  multiSend,
  SAFE,
  simulation,
  source,
  TOKEN,
} from '../helpers/build.js'

const abi = parseAbi([
  'function approve(address spender, uint256 amount)',
  'function increaseAllowance(address spender, uint256 addedValue)',
  'function setApprovalForAll(address operator, bool approved)',
  'function approve(address token, address spender, uint160 amount, uint48 expiration)',
])
const enc = (functionName: string, args: unknown[]): Hex =>
  encodeFunctionData({ abi, functionName, args } as never)
const book = { addressBook: [{ address: ALICE, name: 'Treasury desk' }] }

const cases: Array<{ name: string; data: Hex; config?: object; expect: string[] }> = [
  {
    name: 'unlimited approve to an unknown spender',
    data: enc('approve', [BOB, maxUint256]),
    expect: ['token-approval/unlimited-approval:high'],
  },
  {
    name: 'unlimited approve to an address-book spender',
    data: enc('approve', [ALICE, maxUint256]),
    config: book,
    expect: ['token-approval/unlimited-approval:medium'],
  },
  {
    name: 'a limited approve',
    data: enc('approve', [BOB, 10n ** 18n]),
    expect: ['token-approval/approval:medium'],
  },
  { name: 'a revocation', data: enc('approve', [BOB, 0n]), expect: ['token-approval/approval-revoked:info'] },
  {
    name: 'unlimited increaseAllowance',
    data: enc('increaseAllowance', [BOB, 2n ** 200n]),
    expect: ['token-approval/unlimited-approval:high'],
  },
  {
    name: 'setApprovalForAll(true)',
    data: enc('setApprovalForAll', [BOB, true]),
    expect: ['token-approval/unlimited-approval:high'],
  },
  {
    name: 'setApprovalForAll(false)',
    data: enc('setApprovalForAll', [BOB, false]),
    expect: ['token-approval/approval-revoked:info'],
  },
  {
    name: 'Permit2 approve for the max uint160',
    data: enc('approve', [TOKEN, BOB, 2n ** 160n - 1n, 0]),
    expect: ['token-approval/unlimited-approval:high'],
  },
  {
    name: 'a lower "unlimited" bar from options',
    data: enc('approve', [BOB, 10n ** 30n]),
    config: { guards: { 'token-approval': { unlimitedFrom: '1000000000000000000000000' } } },
    expect: ['token-approval/unlimited-approval:high'],
  },
]

describe('token-approval', () => {
  it.each(cases)('$name', async (c) => {
    expect(
      codesOf(await inspectOffline(source({ to: TOKEN, data: c.data }), c.config ?? {}), 'token-approval'),
    ).toEqual(c.expect)
  })

  it('finds approvals inside a batch', async () => {
    const data = multiSend([{ to: TOKEN, data: enc('approve', [BOB, maxUint256]) }])
    const report = await inspectOffline(source({ to: MULTISEND_CALL_ONLY, operation: 1, data }))
    expect(report.findings.find((f) => f.guard === 'token-approval')).toMatchObject({
      path: '0.0',
      severity: 'high',
    })
  })
})

describe('token-approval with a config ABI that names parameters differently', () => {
  it('still reads setApprovalForAll(operator, true) as an unlimited approval', async () => {
    const config = {
      abis: [{ name: 'nft', signatures: ['function setApprovalForAll(address _operator, bool _approved)'] }],
    }
    const report = await inspectOffline(
      source({ to: TOKEN, data: enc('setApprovalForAll', [BOB, true]) }),
      config,
    )
    expect(codesOf(report, 'token-approval')).toEqual(['token-approval/unlimited-approval:high'])
  })
})

describe('token-approval on what the simulation shows', () => {
  const approval = (fields: Partial<Approval>): Approval => ({
    standard: 'erc20',
    token: TOKEN,
    owner: SAFE,
    spender: BOB,
    ...(fields.standard === undefined || fields.standard === 'erc20' ? { amount: maxUint256 } : {}),
    ...fields,
  })
  const simCases: Array<{ name: string; data?: Hex; approvals: Approval[]; expect: string[] }> = [
    { name: 'no approval', approvals: [], expect: [] },
    {
      name: 'an unlimited ERC20 approval the calldata does not show',
      approvals: [approval({})],
      expect: ['token-approval/unlimited-approval:high'],
    },
    {
      name: 'an operator approval (ApprovalForAll)',
      approvals: [approval({ standard: 'operator', approved: true })],
      expect: ['token-approval/unlimited-approval:high'],
    },
    {
      name: 'one ERC721 token approved',
      approvals: [approval({ standard: 'erc721', tokenId: 7n })],
      expect: ['token-approval/approval:medium'],
    },
    {
      name: 'an ERC721 approval cleared by a transfer',
      approvals: [approval({ standard: 'erc721', tokenId: 7n, spender: zeroAddress })],
      expect: [],
    },
    {
      name: 'granted then revoked in one transaction: what stands is the revocation',
      approvals: [approval({}), approval({ amount: 0n })],
      expect: ['token-approval/approval-revoked:info'],
    },
    {
      name: "someone else's approval",
      approvals: [approval({ owner: ALICE })],
      expect: [],
    },
    {
      name: 'an approval the calldata shows is judged once',
      data: enc('approve', [BOB, maxUint256]),
      approvals: [approval({})],
      expect: ['token-approval/unlimited-approval:high'],
    },
  ]
  it.each(simCases)('$name', async (c) => {
    const report = await inspectWithSimulation(
      { ok: true, simulation: simulation({ approvals: c.approvals }) },
      {},
      source({ to: TOKEN, ...(c.data ? { data: c.data } : {}) }),
    )
    expect(codesOf(report, 'token-approval')).toEqual(c.expect)
  })

  it('says the approval was seen in the simulation', async () => {
    const report = await inspectWithSimulation(
      { ok: true, simulation: simulation({ approvals: [approval({})] }) },
      {},
      source({ to: TOKEN }),
    )
    expect(report.findings.find((f) => f.guard === 'token-approval')?.message).toMatch(
      /spend an unlimited amount of .*\(seen in the simulation, not in the calldata\)$/,
    )
  })
})
