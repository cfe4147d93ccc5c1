import { createRequire } from 'node:module'
import {
  type Abi,
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  parseAbi,
  parseEther,
  zeroAddress,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EIP1967_UPGRADER, OWNERSHIP_EMITTER, SLOT0_WRITER, selfDestructTo } from '../../src/lab/contracts.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import type { Report } from '../../src/model/report.js'
import type { Simulation } from '../../src/model/simulation.js'
import { createConfiguredSimulator, inspectSafeTransaction } from '../../src/pipeline.js'
import type { Simulator } from '../../src/simulate/index.js'
import { createRpcClient } from '../../src/sources/rpc.js'
import { codesOf, multiSend, runtime, safeTx } from '../helpers/build.js'

const require = createRequire(import.meta.url)
const guardArtifact =
  require('@safe-global/safe-contracts/build/artifacts/contracts/examples/guards/DelegateCallTransactionGuard.sol/DelegateCallTransactionGuard.json') as {
    abi: Abi
    bytecode: Hex
  }
const safeAbi = parseAbi([
  'function setGuard(address guard)',
  'function swapOwner(address prevOwner, address oldOwner, address newOwner)',
  'function removeOwner(address prevOwner, address owner, uint256 _threshold)',
  'function enableModule(address module)',
  'function addOwnerWithThreshold(address owner, uint256 _threshold)',
])
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const SENTINEL = '0x0000000000000000000000000000000000000001'
const PROXY = getAddress('0x2222222222222222222222222222222222222222')
const OWNABLE = getAddress('0x3333333333333333333333333333333333333333')
const DOOMED = getAddress('0x4444444444444444444444444444444444444444')
const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')

let lab: Lab
let owners: LabAccount[]
let simulator: Simulator
const rt = runtime({ addressBook: [] })

beforeAll(async () => {
  lab = await startLab()
  owners = lab.accounts.slice(1, 4)
  await lab.test.setCode({ address: PROXY, bytecode: EIP1967_UPGRADER })
  await lab.test.setCode({ address: OWNABLE, bytecode: OWNERSHIP_EMITTER })
  await lab.test.setCode({ address: DOOMED, bytecode: selfDestructTo(ATTACKER) })
  await lab.test.setBalance({ address: DOOMED, value: 7n })
  await lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
  simulator = createConfiguredSimulator(rt)
})
afterAll(async () => {
  await simulator?.close()
  await lab?.stop()
})

async function newSafe(threshold = 2): Promise<Address> {
  return lab.createSafe({ owners: owners.map((o) => o.address), threshold, fund: parseEther('1') })
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
const call = (abi: Abi, functionName: string, args: unknown[]): Hex =>
  encodeFunctionData({ abi, functionName, args } as never)

describe('effects read from the simulation', () => {
  it('reads owner swaps and removals back from the linked list in storage', async () => {
    const safe = await newSafe()
    const [a, b, c] = owners.map((o) => o.address) as [Address, Address, Address]
    // The Safe's list is in setup order: a → b → c.
    const data = multiSend([
      { to: safe, data: call(safeAbi, 'swapOwner', [a, b, ATTACKER]) },
      { to: safe, data: call(safeAbi, 'removeOwner', [SENTINEL, a, 1n]) },
    ])
    const r = await inspect(safe, { to: lab.contracts.multiSendCallOnly, operation: 1, data })
    const owners_ = simOf(r).safeChanges.find((ch) => ch.field === 'owners')
    expect(owners_).toEqual({
      field: 'owners',
      before: [a, b, c],
      after: [ATTACKER, c],
      added: [ATTACKER],
      removed: [a, b],
    })
    expect(codesOf(r, 'safe-state-change').sort()).toEqual([
      'safe-state-change/owner-added-unknown:critical',
      'safe-state-change/threshold-below-minimum:critical',
    ])
  })

  it('reads a config change on a nested Safe the transaction executes on', async () => {
    const safe = await newSafe()
    const nested = await lab.createSafe({ owners: [safe], threshold: 1 })
    const addOwner = call(safeAbi, 'addOwnerWithThreshold', [ATTACKER, 1n])
    // v = 1 with r = the parent Safe: valid because the parent is msg.sender.
    const signature = `0x${safe.slice(2).padStart(64, '0')}${'0'.repeat(64)}01` as Hex
    const exec = encodeFunctionData({
      abi: parseAbi([
        'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) returns (bool)',
      ]),
      functionName: 'execTransaction',
      args: [nested, 0n, addOwner, 0, 0n, 0n, 0n, zeroAddress, zeroAddress, signature],
    })
    const r = await inspect(safe, { to: nested, data: exec })
    const sim = simOf(r)
    expect(sim.success).toBe(true)
    expect(sim.nestedSafeChanges[0]?.safe).toBe(nested)
    expect(sim.nestedSafeChanges[0]?.changes.find((c) => c.field === 'owners')).toMatchObject({
      added: [ATTACKER],
      after: [ATTACKER, safe],
    })
    const state = r.findings.filter((f) => f.guard === 'safe-state-change')
    expect(state.map((f) => f.code)).toEqual(['owner-added-unknown'])
    expect(state[0]?.message).toMatch(/^on nested Safe /)
    expect(codesOf(r, 'safe-config-change')).toEqual(['safe-config-change/config-change:high'])
  })

  it('pays a gas refund in the simulation, so the money it moves shows', async () => {
    const safe = await newSafe()
    const r = await inspect(safe, { to: ATTACKER, value: 1n, gasPrice: 10n ** 9n, baseGas: 100_000n })
    const refund = simOf(r).assetChanges.find((c) => c.from === safe && c.to === simOf(r).from)
    expect(refund?.amount).toBeGreaterThan(100_000n * 10n ** 9n)
    expect(codesOf(r, 'gas-refund')).toEqual(['gas-refund/refund-to-executor:medium'])
  })

  it('shows a module being enabled', async () => {
    const safe = await newSafe()
    const r = await inspect(safe, { to: safe, data: call(safeAbi, 'enableModule', [ATTACKER]) })
    expect(simOf(r).safeChanges[0]).toEqual({
      field: 'modules',
      before: [],
      after: [ATTACKER],
      added: [ATTACKER],
      removed: [],
    })
    expect(codesOf(r, 'safe-state-change')).toEqual(['safe-state-change/module-added-unknown:critical'])
  })

  it('runs a guarded Safe as it is, and when the guard blocks, also shows what the transaction intends', async () => {
    const safe = await newSafe(1)
    const deploy = await lab.wallet.deployContract({
      account: owners[0]?.address as Address,
      chain: null,
      abi: guardArtifact.abi,
      bytecode: guardArtifact.bytecode,
      args: [lab.contracts.multiSendCallOnly],
    })
    const guard = getAddress(
      (await lab.public.waitForTransactionReceipt({ hash: deploy })).contractAddress as Address,
    )
    const kit = await lab.kit(safe, owners[0] as LabAccount)
    const setGuard = await kit.executeTransaction(
      await kit.signTransaction(
        await kit.createTransaction({
          transactions: [{ to: safe, value: '0', data: call(safeAbi, 'setGuard', [guard]) }],
        }),
      ),
    )
    await lab.public.waitForTransactionReceipt({ hash: setGuard.hash as Hex })

    const r = await inspect(safe, {
      to: MALICIOUS,
      operation: 1,
      data: `0xa9059cbb${ATTACKER.slice(2).padStart(64, '0')}` as Hex,
      nonce: 1n,
    })
    const sim = simOf(r)
    expect(sim.guard).toEqual({ address: guard, blocked: true })
    expect(sim.success).toBe(false)
    expect(sim.safeChanges).toEqual([])
    expect(sim.withoutGuard?.success).toBe(true)
    expect(sim.withoutGuard?.safeChanges.find((c) => c.field === 'singleton')?.after).toBe(ATTACKER)
    const state = r.findings.filter((f) => f.guard === 'safe-state-change')
    expect(state.map((f) => f.code)).toEqual(['singleton-changed'])
    expect(state[0]?.message).toMatch(/^blocked by the Safe's guard, but intended: /)
    expect(codesOf(r, 'simulation-failed')).toEqual(['simulation-failed/held-by-guard:medium'])
  })

  it('finds an EIP-1967 upgrade in the storage of any contract touched', async () => {
    const safe = await newSafe()
    const r = await inspect(safe, { to: PROXY, data: `0x3659cfe6${ATTACKER.slice(2).padStart(64, '0')}` })
    expect(simOf(r).proxyUpgrades).toEqual([
      { proxy: PROXY, kind: 'implementation', before: null, after: ATTACKER, source: 'storage' },
    ])
    expect(codesOf(r, 'proxy-upgrade')).toEqual(['proxy-upgrade/proxy-upgraded:high'])
  })

  it('Radiant: an ownership transfer to an unknown address is critical', async () => {
    const safe = await newSafe()
    const r = await inspect(safe, { to: OWNABLE, data: `0xf2fde38b${ATTACKER.slice(2).padStart(64, '0')}` })
    expect(simOf(r).permissionChanges).toEqual([
      { contract: OWNABLE, kind: 'ownership', account: ATTACKER, previous: safe },
    ])
    expect(codesOf(r, 'permission-change')).toEqual(['permission-change/control-to-unknown:critical'])
  })

  it('reports a SELFDESTRUCT reached, with the value it moves', async () => {
    const safe = await newSafe()
    const r = await inspect(safe, { to: DOOMED })
    const sim = simOf(r)
    expect(sim.codeChanges).toEqual([
      { kind: 'selfdestruct', address: DOOMED, by: DOOMED, beneficiary: ATTACKER },
    ])
    expect(sim.assetChanges).toContainEqual({
      standard: 'native',
      token: null,
      from: DOOMED,
      to: ATTACKER,
      amount: 7n,
      symbol: 'ETH',
      decimals: 18,
    })
    expect(codesOf(r, 'selfdestruct')).toEqual(['selfdestruct/selfdestruct:critical'])
  })
})
