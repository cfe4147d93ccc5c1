import type { Address, PublicClient } from 'viem'
import { GUARDS } from '../guards/index.js'
import { type LoadedConfig, loadConfig, missingSecrets } from './config/load.js'
import type { Config } from './config/schema.js'
import { argAddresses, flattenCalls } from './model/calls.js'
import type { DecodedCall, FunctionRegistry } from './model/decoded.js'
import { InputError } from './model/errors.js'
import { type Proposal, safeProposalId } from './model/proposal.js'
import type { SafeReport } from './model/report.js'
import type { SafeState } from './model/safe.js'
import { safeTxHashes } from './model/safe-hash.js'
import { parseSafeVersion } from './model/safe-version.js'
import { intentOf, type SimulationResult } from './model/simulation.js'
import { createTargets, type Targets } from './model/target.js'
import type { Verification } from './model/verification.js'
import { custosGuardAbi, guardCodeHash } from './respond/guard/contract.js'
import { configureGuards } from './score/configure.js'
import { type NameSources, nameOf } from './score/describe.js'
import { aggregateRisk, sortFindings } from './score/risk.js'
import { type ConfiguredGuard, runGuards } from './score/run-guards.js'
import { createSimulator, type Simulator } from './simulate/index.js'
import { flattenTrace } from './simulate/trace.js'
import type { ServiceTx } from './sources/tx-json.js'
import { BUILTIN_ABIS } from './verify/abis.js'
import { readSafeState } from './verify/chain.js'
import type { DecodeLimits } from './verify/decode.js'
import { createFunctionRegistry } from './verify/function-registry.js'
import { verifySafeTx } from './verify/index.js'
import { checkCodes } from './watchdogs/index.js'

const OPERATIONS = ['call', 'delegatecall', 'create'] as const

/** Everything built once at boot from the configuration. */
export type Runtime = {
  config: Config
  /** What custos watches: the config's Safes, governors and timelocks, flattened once. */
  targets: Targets
  configPath?: string
  guards: ConfiguredGuard[]
  registry: FunctionRegistry
  limits: DecodeLimits
}

/** Loads and validates the config and every guard's options; throws ConfigError with all issues. */
export function createRuntime(configPath?: string): Runtime {
  return runtimeFrom(loadConfig(configPath))
}

export function runtimeFrom(loaded: LoadedConfig): Runtime {
  const { config } = loaded
  const guards = configureGuards(GUARDS, config, loaded.path, checkCodes())
  const registry = createFunctionRegistry([
    ...loaded.abis,
    ...Object.entries(BUILTIN_ABIS).map(([name, abi]) => ({ name, abi })),
  ])
  return {
    config,
    targets: createTargets(config),
    ...(loaded.path ? { configPath: loaded.path } : {}),
    guards,
    registry,
    limits: config.limits,
  }
}

/** Config problems that only show with the environment at hand (unset secret variables). */
export const environmentIssues = (rt: Runtime, env: NodeJS.ProcessEnv) => missingSecrets(rt.config, env)

export type InspectTarget = {
  source: ServiceTx
  /** From --chain-id; required without a client, checked against the chain with one. */
  chainId?: number
  /** From --safe-version; required without a client, checked against VERSION() with one. */
  safeVersion?: string
  client?: PublicClient
  /** Other transactions at the same nonce, when the source returned several. */
  sameNonce?: ServiceTx[]
  /** Simulate the exact signed transaction against these RPC URLs (a fork of them, or directly). */
  simulate?: { simulator: Simulator; upstreams: string[] }
}

/** verify → guards → risk, for one Safe transaction. */
export async function inspectSafeTransaction(rt: Runtime, target: InspectTarget): Promise<SafeReport> {
  const { source } = target
  const safe = source.tx.safe
  let state: SafeState | undefined
  let chainId = target.chainId
  let version = target.safeVersion ? parseSafeVersion(target.safeVersion).version : undefined
  if (target.client) {
    state = await readSafeState(target.client, safe)
    if (chainId !== undefined && chainId !== state.chainId) {
      throw new InputError(
        `--chain-id ${chainId} disagrees with the RPC node, which serves chain ${state.chainId}`,
      )
    }
    if (version !== undefined && version !== state.version) {
      throw new InputError(
        `--safe-version ${version} disagrees with the Safe's VERSION() on chain, ${state.version}`,
      )
    }
    chainId = state.chainId
    version = state.version
  }
  if (chainId === undefined || version === undefined) {
    const missing = [
      chainId === undefined ? '--chain-id' : '',
      version === undefined ? '--safe-version' : '',
    ].filter(Boolean)
    throw new InputError(
      `without --rpc, custos cannot read the Safe from a chain: give ${missing.join(' and ')}`,
    )
  }

  const verification = await verifySafeTx(
    {
      tx: source.tx,
      version,
      chainId,
      confirmations: source.confirmations,
      ...(source.claimedSafeTxHash ? { claimedSafeTxHash: source.claimedSafeTxHash } : {}),
      ...(source.dataDecoded !== undefined ? { dataDecoded: source.dataDecoded } : {}),
    },
    {
      registry: rt.registry,
      limits: rt.limits,
      ...(target.client && state ? { chain: { client: target.client, state } } : {}),
    },
  )
  const { tx } = source
  const proposal: Proposal = {
    id: safeProposalId(chainId, verification.hashes.safeTxHash),
    chainId,
    origin: {
      kind: 'safe',
      safe,
      safeTxHash: verification.hashes.safeTxHash,
      nonce: tx.nonce,
      version,
      tx,
      confirmations: source.confirmations,
    },
    executor: safe,
    calls: [{ to: tx.to, value: tx.value, data: tx.data, operation: OPERATIONS[tx.operation] }],
    claimed: {
      ...(source.claimedSafeTxHash ? { safeTxHash: source.claimedSafeTxHash } : {}),
      ...(source.dataDecoded !== undefined ? { dataDecoded: source.dataDecoded } : {}),
      ...(source.origin ? { origin: source.origin } : {}),
    },
  }
  const onChain = (entry: { chainId?: number | undefined }) =>
    entry.chainId === undefined || entry.chainId === chainId
  const addressBook = rt.config.addressBook.filter(onChain)
  const tokens = rt.config.tokens.filter(onChain)
  const simulation = target.simulate
    ? await target.simulate.simulator.simulateSafe(chainId, target.simulate.upstreams, {
        tx,
        safeTxHash: verification.hashes.safeTxHash,
        version,
        chainId,
        registry: rt.registry,
        tokens,
        candidates: treeAddresses(verification.call),
        ...(state
          ? { expected: { nonce: state.nonce, threshold: state.threshold, owners: state.owners } }
          : {}),
      })
    : undefined
  const findings = sortFindings(
    await runGuards(
      rt.guards,
      {
        proposal,
        verification,
        addressBook,
        tokens,
        simulation: intentOf(simulation),
        sameNonce: (target.sameNonce ?? []).map((other) => ({
          safeTxHash: safeTxHashes(version, chainId, other.tx).safeTxHash,
          to: other.tx.to,
          value: other.tx.value,
          data: other.tx.data,
          operation: other.tx.operation,
        })),
      },
      { timeoutMs: rt.config.guardTimeoutMs },
    ),
  )
  const claimed = verification.claimedSafeTxHash
  return {
    proposal,
    safe: { address: safe, version, chainId, ...(state ? { state } : {}) },
    ...(simulation ? { simulation } : {}),
    hashes: {
      ...verification.hashes,
      ...(claimed ? { claimedSafeTxHash: claimed } : {}),
      match: claimed ? claimed.toLowerCase() === verification.hashes.safeTxHash.toLowerCase() : null,
    },
    call: verification.call,
    signatures: verification.signatures,
    claims: verification.claims,
    findings,
    risk: aggregateRisk(findings),
    labels: labelsFor(
      verification,
      {
        addressBook,
        tokens,
        official: verification.official,
        executor: safe,
        ...(state ? { owners: state.owners } : {}),
      },
      simulation,
    ),
    checkedAt: new Date().toISOString(),
  }
}

/** Every address in the decoded call tree: targets and address arguments. */
export function treeAddresses(call: DecodedCall): Address[] {
  const addresses = new Set<Address>()
  for (const c of flattenCalls(call)) {
    addresses.add(c.to)
    for (const a of argAddresses(c.function?.args ?? [])) addresses.add(a)
  }
  return [...addresses]
}

/** Names for every address in the report, for people reading it. */
export function labelsFor(
  v: Verification,
  sources: NameSources,
  simulation?: SimulationResult,
): Record<Address, string> {
  const addresses = new Set<Address>(treeAddresses(v.call))
  for (const s of v.signatures) if (s.signer) addresses.add(s.signer)
  if (simulation?.ok) {
    const sim = simulation.simulation
    for (const c of [...sim.assetChanges]) for (const a of [c.from, c.to, c.token]) if (a) addresses.add(a)
    for (const c of sim.safeChanges)
      for (const a of [...(c.added ?? []), ...(c.removed ?? [])]) addresses.add(a)
    for (const f of flattenTrace(sim.trace)) addresses.add(f.to)
  }
  const labels: Record<Address, string> = {}
  for (const a of addresses) {
    const name = nameOf(a, sources)
    if (name) labels[a] = name
  }
  return labels
}

/** A simulator configured from `simulation` in the config; close it when done. */
export function createConfiguredSimulator(
  rt: Runtime,
  overrides: { mode?: 'fork' | 'direct'; forkBlock?: bigint; pidFile?: string; prefetch?: boolean } = {},
): Simulator {
  const s = rt.config.simulation
  const block =
    overrides.forkBlock ?? (s.fork.blockNumber !== undefined ? BigInt(s.fork.blockNumber) : undefined)
  return createSimulator({
    mode: (chainId) => overrides.mode ?? rt.config.chains[String(chainId)]?.simulationMode ?? s.mode,
    timeoutMs: s.timeoutMs,
    requestTimeoutMs: s.requestTimeoutMs,
    maxAgeMs: s.fork.maxAgeSeconds * 1000,
    maxLifetimeMs: s.fork.maxLifetimeSeconds * 1000,
    maxRssMb: s.fork.maxRssMb,
    prefetch: overrides.prefetch ?? s.fork.prefetch,
    custosGuard: { abi: custosGuardAbi, codeHash: guardCodeHash },
    ...(block !== undefined ? { blockNumber: block } : {}),
    ...(overrides.pidFile ? { pidFile: overrides.pidFile } : {}),
  })
}
