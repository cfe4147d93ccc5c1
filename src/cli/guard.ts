import * as deployments from '@safe-global/safe-deployments'
import {
  type Address,
  createWalletClient,
  getAddress,
  type Hash,
  type Hex,
  http,
  isAddress,
  type PublicClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { InputError, remoteError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'
import { safeTxHashes } from '../model/safe-hash.js'
import { parseSafeVersion } from '../model/safe-version.js'
import {
  CUSTOS_GUARD_ADDRESS,
  CUSTOS_GUARD_CODE_HASH,
  DETERMINISTIC_DEPLOYER,
  enableGuardTx,
  guardDeployment,
  guardSupport,
  MAX_GUARD_DELAY,
} from '../respond/guard/contract.js'
import {
  readGuardDeployment,
  readGuardSettings,
  readGuardTxStatus,
  readSafeGuards,
} from '../respond/guard/read.js'
import { createRpcClient } from '../sources/rpc.js'
import { readSafeState } from '../verify/chain.js'
import type { Io } from './io.js'

// custos guard deploy | enable | status: put the custos Guard on a chain, print the Safe transaction that turns it
// on, and read what it holds. Nothing here signs for a Safe: `enable` prints a transaction for the owners to sign.

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `3600`, `90s`, `30m`, `1h`, `7d` → seconds. */
export function parseDuration(raw: string, flag: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim())
  if (!match)
    throw new InputError(`${flag} must be a duration such as 3600, 90s, 30m, 1h or 7d (got "${raw}")`)
  const seconds = Number(match[1]) * (UNITS[match[2] || 's'] ?? 1)
  if (seconds > Number(MAX_GUARD_DELAY))
    throw new InputError(`${flag} is at most 30 days (the guard refuses longer delays), got ${raw}`)
  return seconds
}

const parseAddress = (raw: string | undefined, flag: string): Address => {
  if (raw === undefined) throw new InputError(`${flag} is required`)
  if (!isAddress(raw, { strict: false })) throw new InputError(`${flag} must be an address (got "${raw}")`)
  return getAddress(raw)
}

function rpcClient(rpc: string | undefined, what: string): PublicClient {
  if (rpc === undefined) throw new InputError(`${what} reads the chain: give --rpc URL`)
  if (!/^(https?|wss?):\/\//.test(rpc)) throw new InputError('--rpc must be an http(s) or ws(s) URL')
  return createRpcClient([rpc])
}

const remote = (what: string, cause: unknown) =>
  remoteError(`${what}: ${redactUrls(((cause as Error).message ?? String(cause)).split('\n')[0] ?? '')}`, {
    cause,
    retryable: true,
  })

const json = (value: unknown) =>
  JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)

// --- deploy ---------------------------------------------------------------------------------------------------

export type DeployOptions = { rpc?: string; keyEnv: string; format: string }

export async function guardDeployCommand(opts: DeployOptions, io: Io): Promise<number> {
  checkFormat(opts.format)
  const tx = guardDeployment()
  const key = io.env[opts.keyEnv]
  if (key !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new InputError(`${opts.keyEnv} must hold a 32-byte hex private key`)
  if (opts.rpc === undefined && key === undefined) {
    write(io, opts.format, { address: CUSTOS_GUARD_ADDRESS, transaction: tx }, [
      `The custos Guard deploys to ${CUSTOS_GUARD_ADDRESS} on every chain (code hash ${CUSTOS_GUARD_CODE_HASH}).`,
      `Send this transaction from any account, on any chain that has the deterministic deployment proxy:`,
      `  to:   ${tx.to}`,
      `  data: ${tx.data}`,
    ])
    return 0
  }
  const client = rpcClient(opts.rpc, 'guard deploy')
  const existing = await readGuardDeployment(client).catch((cause) => {
    throw remote('cannot reach the RPC node', cause)
  })
  if (existing.deployed) {
    if (!existing.codeMatches)
      throw new InputError(
        `${CUSTOS_GUARD_ADDRESS} holds code that is not the custos Guard: refusing to use it`,
      )
    write(io, opts.format, { address: CUSTOS_GUARD_ADDRESS, deployed: true, sent: false }, [
      `The custos Guard is already deployed at ${CUSTOS_GUARD_ADDRESS} (code matches).`,
    ])
    return 0
  }
  const proxy = await client.getCode({ address: DETERMINISTIC_DEPLOYER })
  if (!proxy || proxy === '0x')
    throw new InputError(
      `this chain has no deterministic deployment proxy at ${DETERMINISTIC_DEPLOYER}: the guard cannot get its address here`,
    )
  if (key === undefined) {
    write(io, opts.format, { address: CUSTOS_GUARD_ADDRESS, deployed: false, transaction: tx }, [
      `Not deployed yet. Set ${opts.keyEnv} to a funded key to send it, or send this transaction yourself:`,
      `  to:   ${tx.to}`,
      `  data: ${tx.data}`,
    ])
    return 0
  }
  const account = privateKeyToAccount(key as Hex)
  const chainId = await client.getChainId()
  const wallet = createWalletClient({ account, transport: http(opts.rpc) })
  const hash = await wallet
    .sendTransaction({ chain: null, to: tx.to, data: tx.data, gas: 6_000_000n })
    .catch((cause) => {
      throw remote('sending the deployment failed', cause)
    })
  const receipt = await client.waitForTransactionReceipt({ hash })
  const after = await readGuardDeployment(client)
  if (receipt.status !== 'success' || !after.codeMatches)
    throw remoteError(
      `the deployment transaction ${hash} did not leave the guard at ${CUSTOS_GUARD_ADDRESS}`,
      {
        retryable: false,
      },
    )
  write(
    io,
    opts.format,
    { address: CUSTOS_GUARD_ADDRESS, deployed: true, sent: true, transactionHash: hash, chainId },
    [`Deployed the custos Guard at ${CUSTOS_GUARD_ADDRESS} on chain ${chainId} (transaction ${hash}).`],
  )
  return 0
}

// --- enable ---------------------------------------------------------------------------------------------------

export type EnableOptions = {
  safe?: string
  guardian?: string
  delay?: string
  removalDelay?: string
  module?: string[]
  rpc?: string
  chainId?: string
  safeVersion?: string
  nonce?: string
  multisendCallOnly?: string
  format: string
}

export async function guardEnableCommand(opts: EnableOptions, io: Io): Promise<number> {
  checkFormat(opts.format)
  const safe = parseAddress(opts.safe, '--safe')
  const guardian = parseAddress(opts.guardian, '--guardian')
  if (opts.delay === undefined || opts.removalDelay === undefined)
    throw new InputError('--delay and --removal-delay are required (e.g. --delay 1h --removal-delay 7d)')
  const delay = parseDuration(opts.delay, '--delay')
  const removalDelay = parseDuration(opts.removalDelay, '--removal-delay')
  if (removalDelay < delay) throw new InputError('--removal-delay must be at least --delay')
  const moduleAllowlist = (opts.module ?? []).map((m) => parseAddress(m, '--module'))
  const facts = await safeFacts(opts, safe)
  const support = guardSupport(facts.version)
  if (!support.supported)
    throw new InputError(`the custos Guard supports Safe 1.3.0, 1.4.1 and 1.5.0, not ${facts.version}`)
  if (moduleAllowlist.length > 0 && !support.moduleGuard)
    throw new InputError(
      `--module needs Safe 1.5.0 (a module guard); Safe ${facts.version} runs modules unguarded`,
    )
  const multiSendCallOnly = await pickMultiSendCallOnly(opts, facts)
  const tx = enableGuardTx({
    safe,
    version: facts.version,
    nonce: facts.nonce,
    settings: { guardian, delay, removalDelay, moduleAllowlist },
    multiSendCallOnly,
  })
  const hashes = safeTxHashes(facts.version, facts.chainId, tx)
  const { calls, ...safeTx } = tx
  write(
    io,
    opts.format,
    { chainId: facts.chainId, safeVersion: facts.version, transaction: safeTx, ...hashes, calls },
    [
      `Safe transaction that turns on the custos Guard (${CUSTOS_GUARD_ADDRESS}) for ${safe}:`,
      `  chain ${facts.chainId}, Safe ${facts.version}, nonce ${facts.nonce}`,
      `  to:        ${tx.to} (MultiSendCallOnly)`,
      `  value:     0`,
      `  operation: 1 (DELEGATECALL)`,
      `  data:      ${tx.data}`,
      '  every gas field 0, gasToken and refundReceiver 0x0',
      'It runs, in one batch:',
      `  1. configure(guardian ${guardian}, delay ${delay} s, removalDelay ${removalDelay} s, modules [${moduleAllowlist.join(', ')}]) on the guard`,
      `  2. setGuard(${CUSTOS_GUARD_ADDRESS}) on the Safe`,
      ...(support.moduleGuard ? [`  3. setModuleGuard(${CUSTOS_GUARD_ADDRESS}) on the Safe`] : []),
      'Compare these on the signing device:',
      `  domain hash:  ${hashes.domainHash}`,
      `  message hash: ${hashes.messageHash}`,
      `  safeTxHash:   ${hashes.safeTxHash}`,
      `Once it runs, changing or removing the guard takes a transaction scheduled ${opts.removalDelay} ahead.`,
    ],
  )
  return 0
}

type SafeFacts = { chainId: number; version: string; nonce: bigint; client?: PublicClient }

async function safeFacts(opts: EnableOptions, safe: Address): Promise<SafeFacts> {
  if (opts.rpc !== undefined) {
    const client = rpcClient(opts.rpc, 'guard enable')
    const state = await readSafeState(client, safe)
    const { guard } = await readSafeGuards(client, safe).catch((cause) => {
      throw remote(`cannot read the guard slot of ${safe}`, cause)
    })
    if (guard === CUSTOS_GUARD_ADDRESS) {
      const settings = await readGuardSettings(client, safe)
      if (settings.epoch !== 0)
        throw new InputError(
          `${safe} already runs the custos Guard: change its settings with a configure transaction scheduled removalDelay ahead (see docs/guard.md)`,
        )
    }
    const deployed = await readGuardDeployment(client)
    if (!deployed.codeMatches)
      throw new InputError(
        `the custos Guard is not deployed on chain ${state.chainId}: run custos guard deploy first`,
      )
    const nonce = opts.nonce === undefined ? state.nonce : parseNonce(opts.nonce)
    return { chainId: state.chainId, version: state.version, nonce, client }
  }
  if (opts.chainId === undefined || opts.safeVersion === undefined || opts.nonce === undefined)
    throw new InputError('without --rpc, give --chain-id, --safe-version and --nonce')
  if (!/^\d+$/.test(opts.chainId)) throw new InputError('--chain-id must be a number')
  return {
    chainId: Number(opts.chainId),
    version: parseSafeVersion(opts.safeVersion).version,
    nonce: parseNonce(opts.nonce),
  }
}

const parseNonce = (raw: string): bigint => {
  if (!/^\d+$/.test(raw)) throw new InputError('--nonce must be a number')
  return BigInt(raw)
}

/** The official MultiSendCallOnly for the chain (checked for code when an RPC is given), or --multisend-call-only. */
async function pickMultiSendCallOnly(opts: EnableOptions, facts: SafeFacts): Promise<Address> {
  if (opts.multisendCallOnly !== undefined)
    return parseAddress(opts.multisendCallOnly, '--multisend-call-only')
  const candidates: Address[] = []
  for (const version of [facts.version, '1.4.1', '1.5.0', '1.3.0']) {
    const d = deployments.getMultiSendCallOnlyDeployment({
      version,
      network: String(facts.chainId),
      released: true,
    })
    const listed = d?.networkAddresses[String(facts.chainId)]
    for (const a of Array.isArray(listed) ? listed : listed ? [listed] : []) candidates.push(getAddress(a))
    const canonical = deployments.getMultiSendCallOnlyDeployment({ version, released: true })?.defaultAddress
    if (canonical) candidates.push(getAddress(canonical))
  }
  if (!facts.client) {
    const first = candidates[0]
    if (!first)
      throw new InputError('no official MultiSendCallOnly known for this chain: give --multisend-call-only')
    return first
  }
  for (const address of candidates) {
    const code = await facts.client.getCode({ address })
    if (code && code !== '0x') return address
  }
  throw new InputError(`no MultiSendCallOnly deployed on chain ${facts.chainId}: give --multisend-call-only`)
}

// --- status ---------------------------------------------------------------------------------------------------

export type StatusOptions = { safe?: string; rpc?: string; tx?: string; format: string }

export async function guardStatusCommand(opts: StatusOptions, io: Io): Promise<number> {
  checkFormat(opts.format)
  const safe = parseAddress(opts.safe, '--safe')
  if (opts.tx !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(opts.tx))
    throw new InputError('--tx must be a safeTxHash (32 bytes of hex)')
  const client = rpcClient(opts.rpc, 'guard status')
  const deployment = await readGuardDeployment(client).catch((cause) => {
    throw remote('cannot reach the RPC node', cause)
  })
  if (!deployment.codeMatches)
    throw new InputError(
      `the custos Guard is not deployed (with its committed code) at ${CUSTOS_GUARD_ADDRESS} on this chain`,
    )
  const [guards, settings, tx] = await Promise.all([
    readSafeGuards(client, safe).catch((cause) => {
      throw remote(`${safe} does not answer getStorageAt (is it a Safe?)`, cause)
    }),
    readGuardSettings(client, safe),
    opts.tx === undefined ? undefined : readGuardTxStatus(client, safe, opts.tx as Hash),
  ])
  const active = guards.guard === CUSTOS_GUARD_ADDRESS
  const moduleActive = guards.moduleGuard === CUSTOS_GUARD_ADDRESS
  const lines = [
    `custos Guard ${CUSTOS_GUARD_ADDRESS} for Safe ${safe}`,
    `  transaction guard: ${active ? 'the custos Guard' : guards.guard === '0x0000000000000000000000000000000000000000' ? 'none' : `another guard (${guards.guard})`}`,
    `  module guard:      ${moduleActive ? 'the custos Guard' : guards.moduleGuard === '0x0000000000000000000000000000000000000000' ? 'none' : `another (${guards.moduleGuard})`}`,
    settings.epoch === 0
      ? '  settings:          never configured (the Safe passes through unchanged)'
      : `  settings:          guardian ${settings.guardian}, delay ${settings.delay} s, removal delay ${settings.removalDelay} s, configuration #${settings.epoch}, modules [${settings.moduleAllowlist.join(', ')}]`,
  ]
  if (tx && opts.tx) {
    const state = tx.cancelled
      ? 'cancelled: it can never run'
      : tx.scheduled
        ? `scheduled at ${tx.scheduledAt}, may run from ${tx.executableAt}${tx.guardChange ? ' (a guard change: the guardian cannot cancel it)' : ''}`
        : tx.approved
          ? 'approved by the guardian: may run now'
          : 'unknown to the guard (neither approved nor scheduled, or already executed)'
    lines.push(`  ${opts.tx}: ${state}`)
  }
  write(
    io,
    opts.format,
    { guard: deployment, safe, guards: { ...guards, active, moduleActive }, settings, tx },
    lines,
  )
  return 0
}

function checkFormat(format: string): void {
  if (format !== 'text' && format !== 'json')
    throw new InputError(`--format must be text or json, not "${format}"`)
}

function write(io: Io, format: string, value: unknown, lines: string[]): void {
  io.stdout.write(format === 'json' ? `${json(value)}\n` : `${lines.join('\n')}\n`)
}
