import type { Address, Hash } from 'viem'
import { resolveSecret } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { InputError } from '../model/errors.js'
import type { Report } from '../model/report.js'
import { reportToJson } from '../model/report-json.js'
import { unsupportedOperation } from '../model/safe-version.js'
import { isLevel, type Level, levelRank } from '../model/severity.js'
import { address as addressSchema, uint256 } from '../model/zod.js'
import { type GovernanceTarget, inspectGovernance } from '../pipeline/inspect-governance.js'
import {
  createConfiguredSimulator,
  createRuntime,
  inspectSafeTransaction,
  type Runtime,
} from '../pipeline.js'
import { createRpcClient } from '../sources/rpc.js'
import { parseJsonText, parseServiceTx, type ServiceTx } from '../sources/tx-json.js'
import { fetchTransactionsAtNonce } from '../sources/tx-service.js'
import { type Io, readInput } from './io.js'
import { renderText } from './render-text.js'
import { createStyle } from './style.js'

export type InspectOptions = {
  file?: string
  safe?: string
  nonce?: string
  chainId?: string
  safeVersion?: string
  rpc?: string
  txService?: string
  apiKeyEnv?: string
  config?: string
  format: string
  failOn?: string
  simulate?: boolean
  simulationMode?: string
  forkBlock?: string
  governor?: string
  proposal?: string
  timelock?: string
  operation?: string
  lookback?: string
}

/** `custos inspect`: returns the exit code (0 below --fail-on, 1 at or above it). */
export async function inspectCommand(opts: InspectOptions, io: Io): Promise<number> {
  const rt = createRuntime(opts.config)
  if (opts.format !== 'text' && opts.format !== 'json')
    throw new InputError(`--format must be text or json, not "${opts.format}"`)
  const failOn = parseFailOn(opts.failOn ?? rt.config.failOn)
  const chainId = opts.chainId === undefined ? undefined : parseChainId(opts.chainId)
  const urls = rpcUrls(opts, rt.config, chainId, io)
  const client = urls.length ? createRpcClient(urls) : undefined
  if (opts.simulate && !client)
    throw new InputError('--simulate needs an RPC: give --rpc URL (or an RPC for --chain-id in the config)')
  const simOverrides = simulationOptions(opts)

  if (opts.governor !== undefined || opts.timelock !== undefined) {
    if (!client) throw new InputError('--governor and --timelock read the chain: give --rpc URL')
    const report = await inspectGovernanceTarget(rt, opts, client, urls, simOverrides)
    write([report], opts, io, false)
    return levelRank(report.risk.level) >= levelRank(failOn) ? 1 : 0
  }

  let sources: ServiceTx[]
  if (opts.file !== undefined) {
    if (opts.safe !== undefined || opts.nonce !== undefined)
      throw new InputError('give either --file or --safe with --nonce, not both')
    const limit = Math.max(16 * 1024 * 1024, 4 * rt.limits.maxCalldataBytes + 1024 * 1024)
    const text = await readInput(opts.file, io, limit).catch((cause) => {
      throw new InputError(
        `cannot read ${opts.file}: ${cause.code === 'ETOOBIG' ? cause.message : (cause.code ?? cause.message)}`,
        { cause },
      )
    })
    sources = [parseServiceTx(parseJsonText(text, opts.file === '-' ? 'stdin' : opts.file), 'transaction')]
  } else if (opts.safe !== undefined) {
    if (opts.nonce === undefined) throw new InputError('--safe needs --nonce')
    if (chainId === undefined)
      throw new InputError('--safe needs --chain-id (to pick the transaction service)')
    const safe = parseField(addressSchema, opts.safe, '--safe') as Address
    const nonce = parseField(uint256, opts.nonce, '--nonce') as bigint
    sources = await fetchTransactionsAtNonce(txServiceOptions(opts, rt.config, chainId, io), safe, nonce)
    if (sources.length === 0)
      throw new InputError(`the transaction service has no transaction for ${safe} at nonce ${nonce}`)
  } else {
    throw new InputError(
      'nothing to inspect: give --file <tx.json | -> or --safe ADDRESS --nonce N --chain-id N, or --governor ADDRESS --proposal ID / --timelock ADDRESS --operation ID with --rpc',
    )
  }

  const reports: Report[] = []
  const simulator = opts.simulate ? createConfiguredSimulator(rt, simOverrides) : undefined
  try {
    for (const source of sources) {
      const report = await inspectSafeTransaction(rt, {
        source,
        ...(chainId !== undefined ? { chainId } : {}),
        ...(opts.safeVersion ? { safeVersion: opts.safeVersion } : {}),
        ...(client ? { client } : {}),
        ...(sources.length > 1 ? { sameNonce: sources } : {}),
        ...(simulator ? { simulate: { simulator, upstreams: urls } } : {}),
      })
      // The watch loop reports such a transaction (contract-creation/unsupported-operation); asked
      // about it directly, custos refuses it, as the Safe itself would.
      const unsupported = unsupportedOperation(report.safe.version, source.tx.operation)
      if (unsupported) throw new InputError(unsupported)
      reports.push(report)
    }
  } finally {
    await simulator?.close()
  }
  write(reports, opts, io, opts.safe !== undefined)
  const worst = reports.reduce<Level>(
    (w, r) => (levelRank(r.risk.level) > levelRank(w) ? r.risk.level : w),
    'none',
  )
  return levelRank(worst) >= levelRank(failOn) ? 1 : 0
}

function write(reports: Report[], opts: InspectOptions, io: Io, fromService: boolean): void {
  if (opts.format === 'json') {
    const body = fromService
      ? {
          nonce: reports[0]?.proposal.origin.kind === 'safe' ? reports[0].proposal.origin.nonce : null,
          reports: reports.map(reportToJson),
        }
      : reportToJson(reports[0] as Report)
    // reportToJson is plain already: one pass, not another round trip (megabytes of calldata).
    io.stdout.write(`${JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`)
    return
  }
  const style = createStyle(Boolean(io.stdout.isTTY) && !io.env.NO_COLOR)
  if (reports.length > 1)
    io.stdout.write(style.bold(`${reports.length} transactions compete for this nonce\n\n`))
  io.stdout.write(`${reports.map((r) => renderText(r, style)).join(`\n\n${'─'.repeat(72)}\n\n`)}\n`)
}

/** A governor proposal or timelock operation, read from the chain (the same report shape as a Safe's). */
async function inspectGovernanceTarget(
  rt: Runtime,
  opts: InspectOptions,
  client: ReturnType<typeof createRpcClient>,
  urls: string[],
  simOverrides: ReturnType<typeof simulationOptions>,
): Promise<Report> {
  if (opts.file !== undefined || opts.safe !== undefined)
    throw new InputError('give one thing to inspect: --file, --safe, --governor or --timelock')
  if (opts.governor !== undefined && opts.timelock !== undefined)
    throw new InputError('give either --governor with --proposal or --timelock with --operation, not both')
  const lookback = opts.lookback === undefined ? 1_000_000 : Number(opts.lookback)
  if (!Number.isSafeInteger(lookback) || lookback <= 0)
    throw new InputError(`--lookback must be a positive number of blocks (got "${opts.lookback}")`)
  let target: GovernanceTarget
  if (opts.governor !== undefined) {
    if (opts.proposal === undefined) throw new InputError('--governor needs --proposal')
    target = {
      kind: 'governor',
      governor: parseField(addressSchema, opts.governor, '--governor') as Address,
      proposalId: parseField(uint256, opts.proposal, '--proposal') as bigint,
    }
  } else {
    if (opts.operation === undefined) throw new InputError('--timelock needs --operation')
    if (!/^0x[0-9a-fA-F]{64}$/.test(opts.operation))
      throw new InputError('--operation must be a 32-byte hex id (0x + 64 hex digits)')
    target = {
      kind: 'timelock',
      timelock: parseField(addressSchema, opts.timelock as string, '--timelock') as Address,
      operationId: opts.operation.toLowerCase() as Hash,
    }
  }
  const simulator = opts.simulate ? createConfiguredSimulator(rt, simOverrides) : undefined
  try {
    return await inspectGovernance(rt, {
      find: target,
      client,
      scan: { maxBlockRange: rt.config.sources.chainEvents.maxBlockRange, lookbackBlocks: lookback },
      ...(simulator ? { simulate: { simulator, upstreams: urls } } : {}),
    })
  } finally {
    await simulator?.close()
  }
}

function parseFailOn(value: string): Level {
  if (!isLevel(value))
    throw new InputError(`--fail-on must be one of none, info, low, medium, high, critical (got "${value}")`)
  return value
}

function parseChainId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new InputError(`--chain-id must be a positive integer (got "${value}")`)
  }
  return Number(value)
}

function parseField(schema: typeof addressSchema | typeof uint256, value: string, flag: string): unknown {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new InputError(`${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
  return parsed.data
}

/** --rpc wins; otherwise the config's RPCs for --chain-id, if any. */
function rpcUrls(opts: InspectOptions, config: Config, chainId: number | undefined, io: Io): string[] {
  if (opts.rpc) {
    if (!/^(https?|wss?):\/\//.test(opts.rpc)) throw new InputError('--rpc must be an http(s) or ws(s) URL')
    return [opts.rpc]
  }
  const chain = chainId === undefined ? undefined : config.chains[String(chainId)]
  return (chain?.rpc ?? []).map((r, i) => resolveSecret(r, io.env, `chains.${chainId}.rpc[${i}]`))
}

function simulationOptions(opts: InspectOptions): { mode?: 'fork' | 'direct'; forkBlock?: bigint } {
  if (
    opts.simulationMode !== undefined &&
    opts.simulationMode !== 'fork' &&
    opts.simulationMode !== 'direct'
  ) {
    throw new InputError(`--simulation-mode must be fork or direct (got "${opts.simulationMode}")`)
  }
  if (opts.forkBlock !== undefined && !/^\d+$/.test(opts.forkBlock))
    throw new InputError('--fork-block must be a block number')
  return {
    ...(opts.simulationMode ? { mode: opts.simulationMode as 'fork' | 'direct' } : {}),
    ...(opts.forkBlock ? { forkBlock: BigInt(opts.forkBlock) } : {}),
  }
}

function txServiceOptions(opts: InspectOptions, config: Config, chainId: number, io: Io) {
  const chain = config.chains[String(chainId)]
  const url = opts.txService ?? chain?.txService
  const keyEnv = opts.apiKeyEnv ?? chain?.txServiceApiKeyEnv
  let apiKey: string | undefined
  if (keyEnv) {
    apiKey = io.env[keyEnv]
    if (!apiKey)
      throw new InputError(`environment variable ${keyEnv} (the transaction service API key) is not set`)
  }
  if (!url && !apiKey) {
    throw new InputError(
      "Safe's hosted transaction service needs an API key: pass --api-key-env NAME, or --tx-service URL for your own",
    )
  }
  return { chainId, ...(url ? { url } : {}), ...(apiKey ? { apiKey } : {}) }
}

export type { Runtime }
