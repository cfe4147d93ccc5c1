import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Address, PublicClient } from 'viem'
import { parseConfigText } from '../config/load.js'
import { InputError, RetryableError } from '../model/errors.js'
import { errorText, redactUrl, transportFailure } from '../model/redact.js'
import { address as addressSchema } from '../model/zod.js'
import { discoverGovernor, discoverSafe, discoverTimelock } from '../pipeline/discover.js'
import { createRpcClient } from '../sources/rpc.js'
import { renderInitConfig, shortAddress } from './init-yaml.js'
import type { Io } from './io.js'

export type InitOptions = {
  safe: string[]
  governor: string[]
  timelock: string[]
  name: string[]
  chainId?: string
  rpc?: string
  txService?: string
  apiKeyEnv?: string
  rpcEnv?: string
  out: string
  force?: boolean
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const DATA_DIR = 'custos-data'

/**
 * `custos init`: reads the Safes, governors and timelocks from the chain and writes a minimal,
 * commented configuration that `config check` accepts as it is. Bad input is one InputError.
 */
export async function initCommand(opts: InitOptions, io: Io): Promise<number> {
  const parsed = parseOptions(opts)
  const { chainId, rpc, out } = parsed
  if (existsSync(out) && !opts.force)
    throw new InputError(`${opts.out} already exists: pass --force to overwrite it`)

  const client = createRpcClient([rpc], { timeoutMs: 10_000 })
  const [served, block] = await chainFacts(client, chainId)
  if (served !== chainId)
    throw new InputError(`--chain-id ${chainId} disagrees with the RPC node, which serves chain ${served}`)

  const names = [...opts.name]
  const nameFor = (kind: string, a: Address) => names.shift() ?? `${kind} ${shortAddress(a)}`
  const safes = []
  for (const a of parsed.safes) safes.push({ ...(await discoverSafe(client, a)), name: nameFor('Safe', a) })
  const governors = []
  for (const a of parsed.governors)
    governors.push({ ...(await discoverGovernor(client, a, chainId)), name: nameFor('Governor', a) })
  const timelocks = []
  for (const a of parsed.timelocks)
    timelocks.push({ ...(await discoverTimelock(client, a, chainId)), name: nameFor('Timelock', a) })
  if (names.length) throw new InputError(`${names.length} --name more than there are things to watch`)

  const apiKeyEnv = opts.apiKeyEnv ?? (opts.txService || safes.length === 0 ? undefined : 'SAFE_API_KEY')
  const text = renderInitConfig({
    chainId,
    block,
    rpcEnv: parsed.rpcEnv,
    ...(opts.txService ? { txService: opts.txService } : {}),
    ...(apiKeyEnv ? { apiKeyEnv } : {}),
    safes,
    governors,
    timelocks,
    dataDir: DATA_DIR,
    writtenAt: new Date(),
  })
  // What `config check` will read: a file init writes must pass it (a failure here is a bug).
  parseConfigText(text, out)
  try {
    writeFileSync(out, text, { flag: opts.force ? 'w' : 'wx' })
  } catch (cause) {
    throw new InputError(`cannot write ${opts.out}: ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
      cause,
    })
  }

  const shown = opts.out
  const say = (s = '') => io.stdout.write(`${s}\n`)
  say(`wrote ${shown}: chain ${chainId} at block ${block}`)
  for (const s of safes)
    say(
      `  ${s.name}: Safe ${s.version}, ${s.owners.length} owners, threshold ${s.threshold}, nonce ${s.nonce}`,
    )
  for (const g of governors)
    say(
      `  ${g.name}: ${g.flavor === 'oz' ? 'OpenZeppelin Governor' : 'Bravo-style governor'}${g.timelock ? `, timelock ${g.timelock}` : ''}`,
    )
  for (const t of timelocks) say(`  ${t.name}: TimelockController, delay ${t.delay} s`)
  say()
  say('Set these where custos runs (the file names the variables, never the values):')
  // The URL the user typed is shown back only when it carries nothing that could be a key.
  const plain = redactUrl(rpc) === rpc.replace(/\/$/, '')
  say(`  export ${parsed.rpcEnv}=${plain ? rpc : "'<the RPC URL you passed to --rpc>'"}`)
  if (apiKeyEnv) say(`  export ${apiKeyEnv}='<your transaction service API key>'`)
  say()
  say('Then:')
  say(`  npx custos config check --config ${shown}`)
  say(`  npx custos run --config ${shown}`)
  return 0
}

function parseOptions(opts: InitOptions) {
  if (opts.safe.length + opts.governor.length + opts.timelock.length === 0)
    throw new InputError('nothing to watch: give --safe ADDRESS (or --governor / --timelock ADDRESS)')
  if (opts.chainId === undefined)
    throw new InputError('--chain-id is required (the chain the addresses are on)')
  if (!/^\d+$/.test(opts.chainId) || Number(opts.chainId) <= 0 || !Number.isSafeInteger(Number(opts.chainId)))
    throw new InputError(`--chain-id must be a positive integer (got "${opts.chainId}")`)
  const chainId = Number(opts.chainId)
  if (!opts.rpc) throw new InputError('--rpc URL is required: custos reads the Safes from the chain')
  if (!/^(https?|wss?):\/\/[^\s]+$/.test(opts.rpc) || !URL.canParse(opts.rpc))
    throw new InputError('--rpc must be an http(s) or ws(s) URL')
  if (opts.txService !== undefined && (!/^https?:\/\//.test(opts.txService) || !URL.canParse(opts.txService)))
    throw new InputError('--tx-service must be an http(s) URL ending in /api')
  const rpcEnv = opts.rpcEnv ?? `RPC_URL_${chainId}`
  for (const [flag, name] of [
    ['--rpc-env', rpcEnv],
    ['--api-key-env', opts.apiKeyEnv],
  ] as const) {
    if (name !== undefined && !ENV_NAME.test(name))
      throw new InputError(`${flag} must be an environment variable name such as RPC_URL_1 (got "${name}")`)
  }
  const seen = new Set<string>()
  const addresses = (flag: string, values: string[]) =>
    values.map((v) => {
      const parsed = addressSchema.safeParse(v)
      if (!parsed.success)
        throw new InputError(`${flag} ${v}: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
      const key = parsed.data.toLowerCase()
      if (seen.has(key)) throw new InputError(`${v} is given twice`)
      seen.add(key)
      return parsed.data
    })
  return {
    chainId,
    rpc: opts.rpc,
    rpcEnv,
    out: resolve(opts.out),
    safes: addresses('--safe', opts.safe),
    governors: addresses('--governor', opts.governor),
    timelocks: addresses('--timelock', opts.timelock),
  }
}

async function chainFacts(client: PublicClient, chainId: number): Promise<[number, bigint]> {
  try {
    return await Promise.all([client.getChainId(), client.getBlockNumber()])
  } catch (error) {
    const why = transportFailure(error) ?? `the RPC node failed: ${errorText(error)}`
    throw new RetryableError(`cannot read chain ${chainId}: ${why}`, { cause: error })
  }
}
