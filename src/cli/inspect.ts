import type { Address, Hash } from 'viem'
import { InputError } from '../model/errors.js'
import type { Report } from '../model/report.js'
import { reportToJson } from '../model/report-json.js'
import { unsupportedOperation } from '../model/safe-version.js'
import { type Level, levelRank } from '../model/severity.js'
import { address as addressSchema, uint256 } from '../model/zod.js'
import { type GovernanceTarget, inspectGovernance } from '../pipeline/inspect-governance.js'
import {
  createConfiguredSimulator,
  createRuntime,
  inspectSafeTransaction,
  type Runtime,
} from '../pipeline.js'
import { createRpcClient } from '../sources/rpc.js'
import { parseServiceTx, type ServiceTx, unwrapTxFile } from '../sources/tx-json.js'
import { fetchTransactionsAtNonce } from '../sources/tx-service.js'
import {
  parseChainId,
  parseFailOn,
  parseField,
  readTxFile,
  rpcUrls,
  simulationOptions,
  txServiceOptions,
} from './inspect-options.js'
import type { Io } from './io.js'
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
  let chainId = opts.chainId === undefined ? undefined : parseChainId(opts.chainId)
  let safeVersion = opts.safeVersion
  // What the reader must know about how this was checked (shown after the report, and as `notes`).
  const notes: string[] = []
  // The file is read first: it may carry its chain id and Safe version, as `{ "tx": … }` files do.
  let fileTx: unknown
  if (opts.file !== undefined && opts.governor === undefined && opts.timelock === undefined) {
    const wrapped = unwrapTxFile(await readTxFile(opts.file, rt, io))
    fileTx = wrapped.tx
    if (chainId === undefined && wrapped.chainId !== undefined) {
      chainId = wrapped.chainId
      notes.push(`chain id ${chainId} from the file (give --chain-id to override it)`)
    }
    if (safeVersion === undefined && wrapped.safeVersion !== undefined) {
      safeVersion = wrapped.safeVersion
      notes.push(`Safe version ${safeVersion} from the file (give --safe-version to override it)`)
    }
  }
  // With --chain-id and --safe-version the config's RPC is optional: its variables may be unset
  // on a signer's laptop, and the address book and guard options still apply.
  const offlineOk = chainId !== undefined && safeVersion !== undefined && !opts.simulate && !opts.safe
  const urls = rpcUrls(opts, rt.config, chainId, io, offlineOk ? notes : undefined)
  const client = urls.length ? createRpcClient(urls) : undefined
  if (opts.simulate && !client)
    throw new InputError('--simulate needs an RPC: give --rpc URL (or an RPC for --chain-id in the config)')
  const simOverrides = simulationOptions(opts)

  if (opts.governor !== undefined || opts.timelock !== undefined) {
    if (!client) throw new InputError('--governor and --timelock read the chain: give --rpc URL')
    const report = await inspectGovernanceTarget(rt, opts, client, urls, simOverrides)
    write([report], opts, io, false, notes)
    return levelRank(report.risk.level) >= levelRank(failOn) ? 1 : 0
  }

  let sources: ServiceTx[]
  if (opts.file !== undefined) {
    if (opts.safe !== undefined || opts.nonce !== undefined)
      throw new InputError('give either --file or --safe with --nonce, not both')
    sources = [parseServiceTx(fileTx, 'transaction')]
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
        ...(safeVersion ? { safeVersion } : {}),
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
  if (!client) {
    notes.push(
      "offline: the confirmations were not checked against the Safe's current owners, nor the nonce against the Safe's (give --rpc to check them)",
    )
    if (reports.some((r) => r.hashes?.claimedSafeTxHash && !r.hashes.match))
      notes.push(
        'the claimed safeTxHash does not match: if you typed --chain-id or --safe-version, check them first (a wrong chain id or version gives another hash)',
      )
  }
  write(reports, opts, io, opts.safe !== undefined, notes)
  const worst = reports.reduce<Level>(
    (w, r) => (levelRank(r.risk.level) > levelRank(w) ? r.risk.level : w),
    'none',
  )
  return levelRank(worst) >= levelRank(failOn) ? 1 : 0
}

function write(reports: Report[], opts: InspectOptions, io: Io, fromService: boolean, notes: string[]): void {
  if (opts.format === 'json') {
    const body = (
      fromService
        ? {
            nonce: reports[0]?.proposal.origin.kind === 'safe' ? reports[0].proposal.origin.nonce : null,
            reports: reports.map(reportToJson),
          }
        : reportToJson(reports[0] as Report)
    ) as Record<string, unknown>
    // reportToJson is plain already: one pass, not another round trip (megabytes of calldata).
    io.stdout.write(
      `${JSON.stringify(notes.length ? { ...body, notes } : body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
    )
    return
  }
  const style = createStyle(Boolean(io.stdout.isTTY) && !io.env.NO_COLOR)
  if (reports.length > 1)
    io.stdout.write(style.bold(`${reports.length} transactions compete for this nonce\n\n`))
  io.stdout.write(`${reports.map((r) => renderText(r, style)).join(`\n\n${'─'.repeat(72)}\n\n`)}\n`)
  if (notes.length) io.stdout.write(`\n${notes.map((n) => style.dim(`note: ${n}`)).join('\n')}\n`)
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

export type { Runtime }
