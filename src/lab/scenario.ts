import { type Address, encodeFunctionData, type Hex, parseAbi, parseEther } from 'viem'
import { SLOT0_WRITER } from './contracts.js'
import type { Lab, LabAccount } from './index.js'
import type { ProtocolKit } from './protocol-kit.js'

const erc20 = parseAbi(['function transfer(address to, uint256 amount) returns (bool)'])
const safeAbi = parseAbi(['function addOwnerWithThreshold(address owner, uint256 _threshold)'])

export type ScenarioStep = { title: string; expect: string; json: Record<string, unknown> }

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

/** The demo's transactions, proposed and signed by two owners, as the transaction service would return them. */
export async function scenario(lab: Lab, world: DemoWorld): Promise<ScenarioStep[]> {
  const [a, b] = world.owners as [LabAccount, LabAccount]
  const kitA = await lab.kit(world.safe, a)
  const kitB = await lab.kit(world.safe, b)
  const sign = async (
    to: Address,
    value: bigint,
    data: Hex,
    operation: 0 | 1,
    nonce: number,
    dataDecoded?: unknown,
  ) => {
    let tx = await kitA.createTransaction({
      transactions: [{ to, value: value.toString(), data, operation }],
      options: { nonce },
    })
    tx = await kitA.signTransaction(tx)
    tx = await kitB.signTransaction(tx)
    return toServiceJson(kitA, world.safe, tx, dataDecoded)
  }
  const tokenTransfer = (to: Address, amount: bigint) =>
    encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [to, amount] })
  return [
    {
      title: 'A routine payment: 1 ETH to payroll',
      expect: 'nothing to report',
      json: await sign(world.payroll, parseEther('1'), '0x', 0, 0),
    },
    {
      title: 'An owner change: add a fourth owner, threshold 2',
      expect:
        'critical: the new owner is not in the address book (safe-state-change); high: safe-config-change',
      json: await sign(
        world.safe,
        0n,
        encodeFunctionData({
          abi: safeAbi,
          functionName: 'addOwnerWithThreshold',
          args: [world.attacker, 2n],
        }),
        0,
        1,
      ),
    },
    {
      title: 'Bybit, Feb 2025: a "transfer" that is a DELEGATECALL to a contract rewriting slot 0',
      expect: 'critical: delegatecall-untrusted, and the simulated storage diff shows the singleton replaced',
      json: await sign(world.slot0Writer, 0n, tokenTransfer(world.attacker, 0n), 1, 1),
    },
    {
      title: 'A token transfer whose dataDecoded (what a UI shows) lies about the recipient',
      expect: 'high: decoded-mismatch; the simulation shows where the tokens really go',
      json: await sign(lab.token, 0n, tokenTransfer(world.attacker, 10n ** 13n), 0, 1, {
        method: 'transfer',
        parameters: [
          { name: 'to', type: 'address', value: world.payroll },
          { name: 'value', type: 'uint256', value: (10n ** 13n).toString() },
        ],
      }),
    },
  ]
}

async function toServiceJson(
  kit: ProtocolKit,
  safe: Address,
  tx: Awaited<ReturnType<ProtocolKit['createTransaction']>>,
  dataDecoded?: unknown,
) {
  const d = tx.data
  return {
    safe,
    to: d.to,
    value: d.value,
    data: d.data === '0x' ? null : d.data,
    operation: d.operation,
    safeTxGas: d.safeTxGas,
    baseGas: d.baseGas,
    gasPrice: d.gasPrice,
    gasToken: d.gasToken,
    refundReceiver: d.refundReceiver,
    nonce: d.nonce,
    safeTxHash: await kit.getTransactionHash(tx),
    confirmations: [...tx.signatures.values()].map((s) => ({ owner: s.signer, signature: s.data })),
    ...(dataDecoded ? { dataDecoded } : {}),
  }
}
