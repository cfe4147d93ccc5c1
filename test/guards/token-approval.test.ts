import { encodeFunctionData, type Hex, maxUint256, parseAbi, zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/token-approval.js'
import type { Approval } from '../../src/model/simulation.js'
import {
  ALICE,
  BOB,
  inspectOffline,
  inspectWithSimulation,
  MULTISEND_CALL_ONLY,
  multiSend,
  SAFE,
  simulation,
  source,
  TOKEN,
} from '../helpers/build.js'
import { guardTester, table } from '../helpers/guard-tester.js'

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
    expect: ['unlimited-approval:high'],
  },
  {
    name: 'unlimited approve to an address-book spender',
    data: enc('approve', [ALICE, maxUint256]),
    config: book,
    expect: ['unlimited-approval:medium'],
  },
  {
    name: 'a limited approve',
    data: enc('approve', [BOB, 10n ** 18n]),
    expect: ['approval:medium'],
  },
  { name: 'a revocation', data: enc('approve', [BOB, 0n]), expect: ['approval-revoked:info'] },
  {
    name: 'unlimited increaseAllowance',
    data: enc('increaseAllowance', [BOB, 2n ** 200n]),
    expect: ['unlimited-approval:high'],
  },
  {
    name: 'setApprovalForAll(true)',
    data: enc('setApprovalForAll', [BOB, true]),
    expect: ['unlimited-approval:high'],
  },
  {
    name: 'setApprovalForAll(false)',
    data: enc('setApprovalForAll', [BOB, false]),
    expect: ['approval-revoked:info'],
  },
  {
    name: 'Permit2 approve for the max uint160',
    data: enc('approve', [TOKEN, BOB, 2n ** 160n - 1n, 0]),
    expect: ['unlimited-approval:high'],
  },
  {
    name: 'a lower "unlimited" bar from options',
    data: enc('approve', [BOB, 10n ** 30n]),
    config: { guards: { 'token-approval': { unlimitedFrom: '1000000000000000000000000' } } },
    expect: ['unlimited-approval:high'],
  },
]

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
    expect: ['unlimited-approval:high'],
  },
  {
    name: 'an operator approval (ApprovalForAll)',
    approvals: [approval({ standard: 'operator', approved: true })],
    expect: ['unlimited-approval:high'],
  },
  {
    name: 'one ERC721 token approved',
    approvals: [approval({ standard: 'erc721', tokenId: 7n })],
    expect: ['approval:medium'],
  },
  {
    name: 'an ERC721 approval cleared by a transfer',
    approvals: [approval({ standard: 'erc721', tokenId: 7n, spender: zeroAddress })],
    expect: [],
  },
  {
    name: 'granted then revoked in one transaction: what stands is the revocation',
    approvals: [approval({}), approval({ amount: 0n })],
    expect: ['approval-revoked:info'],
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
    expect: ['unlimited-approval:high'],
  },
]

const calldata = table(cases, (c) => inspectOffline(source({ to: TOKEN, data: c.data }), c.config ?? {}))
const simulated = table(simCases, (c) =>
  inspectWithSimulation(
    { ok: true, simulation: simulation({ approvals: c.approvals }) },
    {},
    source({ to: TOKEN, ...(c.data ? { data: c.data } : {}) }),
  ),
)

guardTester(guard, {
  valid: [...calldata.valid, ...simulated.valid.map((c) => ({ ...c, name: `simulated: ${c.name}` }))],
  invalid: [
    ...calldata.invalid,
    {
      name: 'an approval inside a batch',
      run: () =>
        inspectOffline(
          source({
            to: MULTISEND_CALL_ONLY,
            operation: 1,
            data: multiSend([{ to: TOKEN, data: enc('approve', [BOB, maxUint256]) }]),
          }),
        ),
      expect: ['unlimited-approval:high'],
      also: ([f]) => expect(f?.path).toBe('0.0'),
    },
    {
      name: 'setApprovalForAll(operator, true) with a config ABI that names parameters differently',
      run: () =>
        inspectOffline(source({ to: TOKEN, data: enc('setApprovalForAll', [BOB, true]) }), {
          abis: [
            { name: 'nft', signatures: ['function setApprovalForAll(address _operator, bool _approved)'] },
          ],
        }),
      expect: ['unlimited-approval:high'],
    },
    ...simulated.invalid.map((c) => ({ ...c, name: `simulated: ${c.name}` })),
  ],
})

describe('token-approval, beyond the table', () => {
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
