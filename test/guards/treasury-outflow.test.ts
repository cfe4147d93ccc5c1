import { encodeFunctionData, getAddress, parseEther, parseUnits } from 'viem'
import { describe, expect, it } from 'vitest'
import guard from '../../guards/treasury-outflow.js'
import type { AssetChange } from '../../src/model/simulation.js'
import { erc20 } from '../helpers/build.js'
import {
  ATTACKER,
  COMP,
  findings,
  type GovernanceCase,
  GRANTEE,
  TIMELOCK,
  USDC,
} from '../helpers/governance.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const usdc = (n: string) => parseUnits(n, 6)
const comp = (n: string) => parseUnits(n, 18)
const NFT = getAddress('0xb47e3cd837ddf8e4c57f05d70ab865de6e193bbb')
// Shaped like Compound proposal 289 (499k COMP to a vault a small group controls); the vault address
// and the treasury's balance are illustrative.
const GOLD_VAULT = getAddress('0x4f5e0c7a3b8d7a1e6b0c2f2f6d9e1b3a5c7e9f10')
const out = (token: AssetChange['token'], amount: bigint, to = GRANTEE): AssetChange => ({
  standard: token === null ? 'native' : 'erc20',
  token,
  from: TIMELOCK,
  to,
  amount,
})
const treasury = [
  { token: USDC, balance: usdc('10000000') },
  { token: 'native' as const, balance: parseEther('100') },
  { token: COMP, balance: comp('2000000') },
]
const facts = { treasury, pastRecipients: [GRANTEE] }
const transfer = (to: `0x${string}`, amount: bigint) =>
  encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [to, amount] })
const C = (code: string, severity: string) => `${code}:${severity}`

const cases: Array<GovernanceCase<object> & { name: string; expect: string[] }> = [
  {
    name: 'a benign payment of 1 % of the USDC to a past recipient',
    simulation: { assetChanges: [out(USDC, usdc('100000'))] },
    facts,
    expect: [],
  },
  {
    name: '1 % to an address-book entry, past recipients unknown',
    simulation: { assetChanges: [out(USDC, usdc('100000'))] },
    facts: { treasury },
    addressBook: [{ address: GRANTEE, name: 'Grants multisig' }],
    expect: [],
  },
  {
    name: '1 % to a first-time recipient',
    simulation: { assetChanges: [out(USDC, usdc('100000'), ATTACKER)] },
    facts,
    expect: [C('first-time-recipient', 'low')],
  },
  {
    name: '7 % of the USDC',
    simulation: { assetChanges: [out(USDC, usdc('700000'))] },
    facts,
    expect: [C('treasury-outflow', 'medium')],
  },
  {
    name: '7 % of the USDC to a first-time recipient',
    simulation: { assetChanges: [out(USDC, usdc('700000'), ATTACKER)] },
    facts,
    expect: [C('first-time-recipient', 'high')],
  },
  {
    name: '20 % of the USDC in two payments',
    simulation: { assetChanges: [out(USDC, usdc('1000000')), out(USDC, usdc('1000000'))] },
    facts,
    expect: [C('treasury-outflow', 'high')],
  },
  {
    name: 'a drain of 90 % of the USDC and the ETH',
    simulation: {
      assetChanges: [out(USDC, usdc('9000000'), ATTACKER), out(null, parseEther('90'), ATTACKER)],
    },
    facts,
    expect: [
      C('treasury-drain', 'critical'),
      C('first-time-recipient', 'critical'),
      C('first-time-recipient', 'critical'),
    ],
  },
  {
    name: 'Compound 289: a quarter of the COMP to a new vault',
    simulation: { assetChanges: [out(COMP, comp('499000'), GOLD_VAULT)] },
    facts,
    expect: [C('first-time-recipient', 'critical')],
  },
  {
    name: '2 % of the USDC, above an absolute threshold',
    simulation: { assetChanges: [out(USDC, usdc('200000'))] },
    facts,
    options: { thresholds: [{ token: USDC, max: '150000' }] },
    expect: [C('treasury-outflow', 'high')],
  },
  {
    name: 'a custom share: 7 % is high when highSharePercent is 5',
    simulation: { assetChanges: [out(USDC, usdc('700000'))] },
    facts,
    options: { mediumSharePercent: 1, highSharePercent: 5 },
    expect: [C('treasury-outflow', 'high')],
  },
  {
    name: 'a token whose balance before was not read',
    simulation: { assetChanges: [out(getAddress('0x6b175474e89094c44da98b954eedeac495271d0f'), 1000n)] },
    facts,
    expect: [C('treasury-outflow', 'medium')],
  },
  {
    name: 'one of the two NFTs the treasury holds',
    simulation: {
      assetChanges: [
        { standard: 'erc721', token: NFT, from: TIMELOCK, to: GRANTEE, amount: 1n, tokenId: 7804n },
      ],
    },
    facts: { ...facts, treasury: [{ token: NFT, balance: 2n }] },
    expect: [C('treasury-outflow', 'critical')],
  },
  {
    name: 'assets coming in',
    simulation: { assetChanges: [{ ...out(USDC, usdc('9000000')), from: ATTACKER, to: TIMELOCK }] },
    facts,
    expect: [],
  },
  {
    name: 'no simulation: a USDC transfer of 90 % read from the calldata',
    calls: [{ to: USDC, data: transfer(ATTACKER, usdc('9000000')) }],
    facts,
    expect: [C('first-time-recipient', 'critical')],
  },
  {
    name: 'no simulation: 95 ETH and 90 % of the USDC from the calldata',
    calls: [
      { to: ATTACKER, value: parseEther('95') },
      { to: USDC, data: transfer(GRANTEE, usdc('9000000')) },
    ],
    facts,
    expect: [
      C('treasury-drain', 'critical'),
      C('first-time-recipient', 'critical'),
      C('treasury-outflow', 'critical'),
    ],
  },
  {
    name: 'a failed simulation: judged from the calldata',
    calls: [{ to: USDC, data: transfer(GRANTEE, usdc('100000')) }],
    simulation: { ok: false, error: 'the fork could not start' },
    facts,
    expect: [],
  },
  {
    name: "no governance facts: the calldata transfer's share is unknown",
    calls: [{ to: USDC, data: transfer(GRANTEE, usdc('100000')) }],
    facts: null,
    addressBook: [{ address: GRANTEE, name: 'Grants multisig' }],
    expect: [C('treasury-outflow', 'medium')],
  },
  {
    name: "transferFrom moving someone else's tokens",
    calls: [
      {
        to: USDC,
        data: encodeFunctionData({
          abi: erc20,
          functionName: 'transferFrom',
          args: [ATTACKER, GRANTEE, usdc('9000000')],
        }),
      },
    ],
    facts,
    expect: [],
  },
  {
    name: 'a threshold whose decimals are unknown fails closed',
    simulation: { assetChanges: [out(NFT, 1n)] },
    facts,
    options: { thresholds: [{ token: NFT, max: '1' }] },
    expect: [C('guard-error', 'high')],
  },
  {
    name: 'a timelock operation moving 60 % of the USDC',
    kind: 'timelock',
    simulation: { assetChanges: [out(USDC, usdc('6000000'))] },
    facts,
    expect: [C('treasury-outflow', 'critical')],
  },
]

guardTester(
  guard,
  table(cases, (c) => findings(guard, c)),
)

describe('treasury-outflow, beyond the table', () => {
  it('says how much, what share, to whom, and that the recipient is new', async () => {
    const [finding] = await findings(guard, {
      simulation: { assetChanges: [out(COMP, comp('499000'), GOLD_VAULT)] },
      facts,
    })
    expect(finding?.message).toBe(
      `499,000 COMP leaves the treasury ${TIMELOCK} for ${GOLD_VAULT} (24.95% of the 2,000,000 COMP the treasury held); first-time recipient: ${GOLD_VAULT} (never paid by the treasury before and not in the address book)`,
    )
  })

  it('names the drained tokens and says when the amounts come from calldata', async () => {
    const found = await findings(guard, {
      calls: [
        { to: ATTACKER, value: parseEther('95') },
        { to: USDC, data: transfer(ATTACKER, usdc('9000000')) },
      ],
      facts,
    })
    expect(found[0]?.message).toBe(
      `the treasury is emptied: at least 50% of each of ETH, ${USDC} (USDC token) leaves ${TIMELOCK} (amounts from calldata: not simulated)`,
    )
    expect(found[1]?.path).toBe('0.0')
    expect(found[2]?.message).toContain('90% of the 10,000,000 USDC the treasury held')
  })
})
