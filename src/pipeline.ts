import type { Address, PublicClient } from 'viem'
import { GUARDS } from '../guards/index.js'
import { type LoadedConfig, loadConfig, missingSecrets } from './config/load.js'
import type { Config } from './config/schema.js'
import { argAddresses, flattenCalls } from './model/calls.js'
import { InputError } from './model/errors.js'
import type { Proposal } from './model/proposal.js'
import type { Report } from './model/report.js'
import type { SafeState } from './model/safe.js'
import type { Verification } from './model/verification.js'
import { configureGuards } from './score/configure.js'
import { type NameSources, nameOf } from './score/describe.js'
import { aggregateRisk, sortFindings } from './score/risk.js'
import { type ConfiguredGuard, runGuards } from './score/run-guards.js'
import type { ServiceTx } from './sources/tx-json.js'
import { BUILTIN_ABIS } from './verify/abis.js'
import { readSafeState } from './verify/chain.js'
import type { DecodeLimits } from './verify/decode.js'
import { createFunctionRegistry, type FunctionRegistry } from './verify/function-registry.js'
import { verifySafeTx } from './verify/index.js'
import { safeTxHashes } from './verify/safe-hash.js'
import { parseSafeVersion } from './verify/safe-version.js'

/** Everything built once at boot from the configuration. */
export type Runtime = {
  config: Config
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
  const guards = configureGuards(GUARDS, config.guards, loaded.path)
  const registry = createFunctionRegistry([
    ...loaded.abis,
    ...Object.entries(BUILTIN_ABIS).map(([name, abi]) => ({ name, abi })),
  ])
  return {
    config,
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
}

/** verify → guards → risk, for one Safe transaction. */
export async function inspectSafeTransaction(rt: Runtime, target: InspectTarget): Promise<Report> {
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
    id: `${chainId}:safe:${verification.hashes.safeTxHash}`,
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
    calls: [
      { to: tx.to, value: tx.value, data: tx.data, operation: tx.operation === 1 ? 'delegatecall' : 'call' },
    ],
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
  const findings = sortFindings(
    await runGuards(
      rt.guards,
      {
        proposal,
        verification,
        addressBook,
        tokens,
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
    labels: labelsFor(verification, {
      addressBook,
      tokens,
      official: verification.official,
      executor: safe,
      ...(state ? { owners: state.owners } : {}),
    }),
    checkedAt: new Date().toISOString(),
  }
}

/** Names for every address in the call tree and the confirmations, for people reading the report. */
function labelsFor(v: Verification, sources: NameSources): Record<Address, string> {
  const addresses = new Set<Address>()
  for (const c of flattenCalls(v.call)) {
    addresses.add(c.to)
    for (const a of argAddresses(c.function?.args ?? [])) addresses.add(a)
  }
  for (const s of v.signatures) if (s.signer) addresses.add(s.signer)
  const labels: Record<Address, string> = {}
  for (const a of addresses) {
    const name = nameOf(a, sources)
    if (name) labels[a] = name
  }
  return labels
}
