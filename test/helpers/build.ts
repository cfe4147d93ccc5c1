import { type Address, encodeFunctionData, getAddress, type Hex, parseAbi, zeroAddress } from 'viem'
import { loadAbis } from '../../src/config/load.js'
import { configSchema } from '../../src/config/schema.js'
import { packMultiSend } from '../../src/model/multisend.js'
import type { Report, SafeReport } from '../../src/model/report.js'
import type { SafeTx } from '../../src/model/safe.js'
import type { Simulation, SimulationResult } from '../../src/model/simulation.js'
import { inspectSafeTransaction, type Runtime, runtimeFrom } from '../../src/pipeline.js'
import type { Simulator } from '../../src/simulate/index.js'
import type { ServiceTx } from '../../src/sources/tx-json.js'

export const SAFE: Address = getAddress('0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe')
export const ALICE: Address = getAddress('0xa11ce00000000000000000000000000000000001')
export const BOB: Address = getAddress('0xb0b0000000000000000000000000000000000002')
export const TOKEN: Address = getAddress('0x7070000000000000000000000000000000000007')
/** Official Safe 1.4.1 MultiSendCallOnly and MultiSend (canonical addresses, listed for chain 1). */
export const MULTISEND_CALL_ONLY: Address = '0x9641d764fc13c8B624c04430C7356C1C7C8102e2'
export const MULTISEND: Address = '0x38869bf66a61cF6bDB996A6aE40D5853Fd43B526'

export const erc20 = parseAbi([
  'function transfer(address to, uint256 amount)',
  'function approve(address spender, uint256 amount)',
  'function transferFrom(address from, address to, uint256 amount)',
])
export const safeAbi = parseAbi([
  'function addOwnerWithThreshold(address owner, uint256 _threshold)',
  'function changeThreshold(uint256 _threshold)',
  'function enableModule(address module)',
  'function setGuard(address guard)',
  'function changeMasterCopy(address _masterCopy)',
  'function swapOwner(address prevOwner, address oldOwner, address newOwner)',
])
const multiSendAbi = parseAbi(['function multiSend(bytes transactions)'])

export type Inner = { to: Address; value?: bigint; data?: Hex; operation?: 0 | 1 }

export const multiSend = (calls: Inner[]): Hex =>
  encodeFunctionData({
    abi: multiSendAbi,
    functionName: 'multiSend',
    args: [
      packMultiSend(
        calls.map((c) => ({
          operation: c.operation ?? 0,
          to: c.to,
          value: c.value ?? 0n,
          data: c.data ?? '0x',
        })),
      ),
    ],
  })

export function safeTx(fields: Partial<SafeTx> = {}): SafeTx {
  return {
    safe: SAFE,
    to: BOB,
    value: 0n,
    data: '0x',
    operation: 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce: 0n,
    ...fields,
  }
}

export const source = (fields: Partial<SafeTx> = {}, extra: Partial<ServiceTx> = {}): ServiceTx => ({
  tx: safeTx(fields),
  confirmations: [],
  ...extra,
})

/** A runtime from a config object (as the YAML would hold it). */
export const runtime = (raw: unknown = {}): Runtime => {
  const config = configSchema.parse(raw)
  return runtimeFrom({ config, abis: loadAbis(config, process.cwd(), 'test config') })
}

/** Inspects offline on chain 1 as Safe 1.4.1, through the real pipeline. */
export function inspectOffline(
  src: ServiceTx,
  config: unknown = {},
  chainId = 1,
  version = '1.4.1',
): Promise<SafeReport> {
  return inspectSafeTransaction(runtime(config), { source: src, chainId, safeVersion: version })
}

export const codesOf = (report: Report, guard?: string) =>
  report.findings
    .filter((f) => guard === undefined || f.guard === guard)
    .map((f) => `${f.guard}/${f.code}:${f.severity}`)

/** A simulation result as the simulate stage returns it; fields default to a quiet success. */
export function simulation(fields: Partial<Simulation> = {}): Simulation {
  return {
    mode: 'fork',
    block: 100n,
    from: ALICE,
    success: true,
    gasUsed: 50_000n,
    nonce: { onChain: 0n, tx: 0n, overridden: false, stale: false },
    trace: {
      path: '0',
      type: 'CALL',
      from: ALICE,
      to: SAFE,
      value: 0n,
      input: '0x',
      gasUsed: 50_000n,
      calls: [],
    },
    logs: [],
    safeChanges: [{ field: 'nonce', before: 0n, after: 1n }],
    nestedSafeChanges: [],
    assetChanges: [],
    approvals: [],
    proxyUpgrades: [],
    permissionChanges: [],
    codeChanges: [],
    storageDiff: [],
    durationMs: 10,
    ...fields,
  }
}

/** Runs the real pipeline with a recorded simulation result in place of a live one. */
export function inspectWithSimulation(
  result: SimulationResult,
  config: unknown = {},
  src: ServiceTx = source(),
): Promise<SafeReport> {
  const recorded = { simulateSafe: async () => result, close: async () => {} } as unknown as Simulator
  return inspectSafeTransaction(runtime(config), {
    source: src,
    chainId: 1,
    safeVersion: '1.4.1',
    simulate: { simulator: recorded, upstreams: ['recorded'] },
  })
}
