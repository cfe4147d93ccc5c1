import { resolveSecret } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { InputError } from '../model/errors.js'
import { isLevel, type Level } from '../model/severity.js'
import type { address as addressSchema, uint256 } from '../model/zod.js'
import type { Runtime } from '../pipeline.js'
import { parseJsonText } from '../sources/tx-json.js'
import type { InspectOptions } from './inspect.js'
import { type Io, readInput } from './io.js'

// Reading `custos inspect`'s flags and input: each bad value is one InputError naming the flag.

export async function readTxFile(file: string, rt: Runtime, io: Io): Promise<unknown> {
  const limit = Math.max(16 * 1024 * 1024, 4 * rt.limits.maxCalldataBytes + 1024 * 1024)
  const text = await readInput(file, io, limit).catch((cause) => {
    throw new InputError(
      `cannot read ${file}: ${cause.code === 'ETOOBIG' ? cause.message : (cause.code ?? cause.message)}`,
      { cause },
    )
  })
  return parseJsonText(text, file === '-' ? 'stdin' : file)
}

export function parseFailOn(value: string): Level {
  if (!isLevel(value))
    throw new InputError(`--fail-on must be one of none, info, low, medium, high, critical (got "${value}")`)
  return value
}

export function parseChainId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new InputError(`--chain-id must be a positive integer (got "${value}")`)
  }
  return Number(value)
}

export function parseField(
  schema: typeof addressSchema | typeof uint256,
  value: string,
  flag: string,
): unknown {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new InputError(`${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
  return parsed.data
}

/**
 * --rpc wins; otherwise the config's RPCs for --chain-id, if any. With `offline` (a list for
 * notes), an RPC whose variable is unset is left out and said so, instead of stopping.
 */
export function rpcUrls(
  opts: InspectOptions,
  config: Config,
  chainId: number | undefined,
  io: Io,
  offline?: string[],
): string[] {
  if (opts.rpc) {
    if (!/^(https?|wss?):\/\//.test(opts.rpc)) throw new InputError('--rpc must be an http(s) or ws(s) URL')
    return [opts.rpc]
  }
  const chain = chainId === undefined ? undefined : config.chains[String(chainId)]
  const refs = chain?.rpc ?? []
  const unset = refs.filter((r) => typeof r !== 'string' && !io.env[r.env])
  if (offline && unset.length) {
    const names = unset.map((r) => (typeof r === 'string' ? r : r.env)).join(', ')
    offline.push(`chains.${chainId}.rpc: ${names} not set, so the config's RPC was not used`)
    return refs.filter((r) => !unset.includes(r)).map((r) => r as string)
  }
  return refs.map((r, i) => resolveSecret(r, io.env, `chains.${chainId}.rpc[${i}]`))
}

export function simulationOptions(opts: InspectOptions): { mode?: 'fork' | 'direct'; forkBlock?: bigint } {
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

export function txServiceOptions(opts: InspectOptions, config: Config, chainId: number, io: Io) {
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
