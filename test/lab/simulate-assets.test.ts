import {
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  numberToHex,
  pad,
  parseAbi,
  parseEther,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import type { Report } from '../../src/model/report.js'
import type { Simulation } from '../../src/model/simulation.js'
import { createConfiguredSimulator, inspectSafeTransaction } from '../../src/pipeline.js'
import type { Simulator } from '../../src/simulate/index.js'
import { createRpcClient } from '../../src/sources/rpc.js'
import { codesOf, runtime, safeTx } from '../helpers/build.js'

// Assets a Safe transaction moves, as the simulation on the lab shows them, and how the guards
// judge them: by the share of what the Safe held before, gas refunds included.

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const erc20 = parseAbi([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function approve(address spender, uint256 amount) returns (bool)',
])

let lab: Lab
let owners: LabAccount[]
let simulator: Simulator
const rt = runtime({ addressBook: [] })

beforeAll(async () => {
  lab = await startLab()
  owners = lab.accounts.slice(1, 4)
  simulator = createConfiguredSimulator(rt)
})
afterAll(async () => {
  await simulator?.close()
  await lab?.stop()
})

/**
 * A 2-of-3 Safe holding 1 ETH and 100 TT (the lab's ERC20). TT mints only 0.001 TT in all, so the
 * Safe's balance is written straight into the token's `_balances` mapping (slot 0, OpenZeppelin 3).
 */
async function fundedSafe(): Promise<Address> {
  const safe = await lab.createSafe({
    owners: owners.map((o) => o.address),
    threshold: 2,
    fund: parseEther('1'),
  })
  await lab.test.setStorageAt({
    address: lab.token,
    index: keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [safe, 0n])),
    value: pad(numberToHex(parseEther('100'))),
  })
  // A block on top, so that a fork of the lab (taken at a block) sees the balance.
  await lab.test.mine({ blocks: 1 })
  return safe
}
const inspect = (safe: Address, fields: Parameters<typeof safeTx>[0]): Promise<Report> =>
  inspectSafeTransaction(rt, {
    source: { tx: safeTx({ safe, ...fields }), confirmations: [] },
    client: createRpcClient([lab.rpcUrl]),
    simulate: { simulator, upstreams: [lab.rpcUrl] },
  })
const simOf = (r: Report): Simulation => {
  if (!r.simulation?.ok) throw new Error(`no simulation: ${JSON.stringify(r.simulation)}`)
  return r.simulation.simulation
}
const call = (functionName: string, args: unknown[]): Hex =>
  encodeFunctionData({ abi: erc20, functionName, args } as never)

describe('outflows by their share of what the Safe held', () => {
  it('a gas refund in a token that moves 52 % of the balance to an attacker is critical', async () => {
    const safe = await fundedSafe()
    // Paid (gasUsed + baseGas) × gasPrice in TT: 52,000,000 × 10^12 = 52 TT, plus the gas used.
    const r = await inspect(safe, {
      to: owners[0]?.address as Address,
      gasToken: lab.token,
      gasPrice: 10n ** 12n,
      baseGas: 52_000_000n,
      refundReceiver: ATTACKER,
    })
    const sim = simOf(r)
    expect(sim.success).toBe(true)
    const refund = sim.assetChanges.find((c) => c.token === lab.token && c.to === ATTACKER)
    expect(refund?.amount).toBeGreaterThan(parseEther('52'))
    expect(sim.balancesBefore).toContainEqual({ holder: safe, token: lab.token, balance: parseEther('100') })
    const share = r.findings.find((f) => f.code === 'outflow-share')
    expect(share).toMatchObject({ guard: 'asset-outflow', severity: 'critical' })
    expect(share?.message).toMatch(
      /including the gas refund to 0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516: 52(\.\d+)?% of the 100000000000000000000 units of token /,
    )
    expect(r.risk.level).toBe('critical')
  })

  it.each([
    ['3 TT: below 5 %', '3', []],
    ['7 TT: medium', '7', ['asset-outflow/outflow-share:medium']],
    ['20 TT: high', '20', ['asset-outflow/outflow-share:high']],
    ['60 TT: critical', '60', ['asset-outflow/outflow-share:critical']],
  ])('judges a token with no configured threshold by its share (%s)', async (_name, amount, expected) => {
    const safe = await fundedSafe()
    const r = await inspect(safe, { to: lab.token, data: call('transfer', [ATTACKER, parseEther(amount)]) })
    expect(simOf(r).success).toBe(true)
    expect(codesOf(r, 'asset-outflow').filter((c) => c.includes('outflow-share'))).toEqual(expected)
  })

  it('judges ETH by its share too', async () => {
    const safe = await fundedSafe()
    const r = await inspect(safe, { to: ATTACKER, value: parseEther('0.6') })
    expect(simOf(r).balancesBefore).toContainEqual({
      holder: safe,
      token: 'native',
      balance: parseEther('1'),
    })
    expect(codesOf(r, 'asset-outflow')).toContain('asset-outflow/outflow-share:critical')
  })
})
