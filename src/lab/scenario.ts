import { type Address, encodeFunctionData, type Hex, parseAbi, parseEther } from 'viem'
import { SLOT0_WRITER } from './contracts.js'
import type { Lab, LabAccount } from './index.js'

const erc20 = parseAbi(['function transfer(address to, uint256 amount) returns (bool)'])
const safeAbi = parseAbi(['function addOwnerWithThreshold(address owner, uint256 _threshold)'])

export type DemoWorld = {
  safe: Address
  owners: LabAccount[]
  payroll: Address
  attacker: Address
  slot0Writer: Address
}

/** A Safe with 3 owners (threshold 2), funded with ETH and the lab token. */
export async function buildWorld(lab: Lab): Promise<DemoWorld> {
  const [deployer, a, b, c, payrollAccount, attackerAccount] = lab.accounts as LabAccount[]
  if (!deployer || !a || !b || !c || !payrollAccount || !attackerAccount)
    throw new Error('lab accounts missing')
  const safe = await lab.createSafe({
    owners: [a.address, b.address, c.address],
    threshold: 2,
    fund: parseEther('100'),
  })
  const hash = await lab.wallet.writeContract({
    account: deployer.address,
    chain: null,
    address: lab.token,
    abi: erc20,
    functionName: 'transfer',
    args: [safe, 10n ** 14n],
  })
  await lab.public.waitForTransactionReceipt({ hash })
  const slot0Writer = '0x96221423681a6d52e184d440a8efcebb105c7242' as Address
  await lab.test.setCode({ address: slot0Writer, bytecode: SLOT0_WRITER })
  return {
    safe,
    owners: [a, b, c],
    payroll: payrollAccount.address,
    attacker: attackerAccount.address,
    slot0Writer,
  }
}

export type DemoStep = {
  title: string
  /** What custos should say, shown next to what it did say. */
  expect: string
  tx: { to: Address; value: bigint; data: Hex; operation: 0 | 1 }
  /** A false `dataDecoded` the (emulated) service will claim for this transaction. */
  lie?: unknown
  /** Its nonce, counted from the Safe's first free one when the demo starts (two steps may compete). */
  nonce: number
  /**
   * `approve`: both owners sign it on the service, custos approves it on the guard and it runs at
   * once. `attack`: the service shows one signature, but the attacker holds both (collected through a
   * compromised UI), executes at once, then schedules it on the guard.
   */
  guard?: 'approve' | 'attack'
}

/** The demo's transactions: the routine, the worrying and two of 2025's attack shapes. */
export function demoSteps(lab: Lab, world: DemoWorld): DemoStep[] {
  const transfer = (to: Address, amount: bigint) =>
    encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [to, amount] })
  return [
    {
      title: 'A routine payment: 1 ETH to payroll',
      expect: 'nothing but the guard holding it (info); custos approves it on the guard and it runs at once',
      tx: { to: world.payroll, value: parseEther('1'), data: '0x', operation: 0 },
      nonce: 0,
      guard: 'approve',
    },
    {
      title: 'An owner change: add a fourth owner, threshold 2',
      expect:
        'critical: the new owner is not in the address book (safe-state-change); high: safe-config-change',
      tx: {
        to: world.safe,
        value: 0n,
        data: encodeFunctionData({
          abi: safeAbi,
          functionName: 'addOwnerWithThreshold',
          args: [world.attacker, 2n],
        }),
        operation: 0,
      },
      nonce: 1,
    },
    {
      title: 'Bybit, Feb 2025: a "transfer" that is a DELEGATECALL to a contract rewriting slot 0',
      expect:
        'critical: delegatecall-untrusted, and the simulated storage diff shows the singleton replaced; the guard stops it on-chain',
      tx: { to: world.slot0Writer, value: 0n, data: transfer(world.attacker, 0n), operation: 1 },
      // At the Safe's current nonce, beside the owner change: the attacker can try to execute it now.
      nonce: 1,
      guard: 'attack',
    },
    {
      title: 'A token transfer whose dataDecoded (what a UI shows) lies about the recipient',
      expect: 'high: decoded-mismatch; the simulation shows where the tokens really go',
      tx: { to: lab.token, value: 0n, data: transfer(world.attacker, 10n ** 13n), operation: 0 },
      nonce: 2,
      lie: {
        method: 'transfer',
        parameters: [
          { name: 'to', type: 'address', value: world.payroll },
          { name: 'value', type: 'uint256', value: (10n ** 13n).toString() },
        ],
      },
    },
  ]
}
