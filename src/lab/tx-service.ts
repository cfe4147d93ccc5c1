import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type Address,
  getAddress,
  type Hash,
  type Hex,
  isAddress,
  type PublicClient,
  parseAbiItem,
} from 'viem'
import type { SafeState, SafeTx } from '../model/safe.js'
import { safeTxHashes } from '../model/safe-hash.js'
import { createRpcClient } from '../sources/rpc.js'
import { parseServiceTx } from '../sources/tx-json.js'
import { BUILTIN_ABIS } from '../verify/abis.js'
import { checkSignaturesOnChain, readSafeState } from '../verify/chain.js'
import { DEFAULT_LIMITS, decodeCallTree } from '../verify/decode.js'
import { createFunctionRegistry } from '../verify/function-registry.js'
import { recoverConfirmations } from '../verify/signatures.js'
import { serviceDataDecoded } from './service-decoded.js'

/**
 * An emulator of the Safe Transaction Service, backed by the lab chain: enough of its HTTP API,
 * as @safe-global/api-kit calls it, to propose transactions, add confirmations and read pending
 * ones. Like the real service it checks that the hash matches the fields and that every
 * signature comes from a current owner. It is an emulator for the lab and tests, not the service.
 */
export type TxServiceEmulator = {
  url: string
  /** Requests served, by path template, for measurements. */
  requests: { total: number; byRoute: Map<string, number> }
  /**
   * Make the emulator lie about a transaction (the demo and the tests of a lying API). A hash
   * not proposed yet keeps the patch for when it is, so even the first read is the lie.
   */
  tamper(safeTxHash: Hash, patch: Record<string, unknown>): void
  /** Delete a queued transaction, as its proposer can. */
  remove(safeTxHash: Hash): void
  /** Answer every request with this HTTP status (an outage), or undefined to recover. */
  outage?: number | undefined
  /** Answer 429 with Retry-After after this many requests per second (undefined: no limit). */
  rateLimitPerSecond?: number | undefined
  /**
   * Runs before a list of a Safe's transactions is read, e.g. to land an execution between a
   * client's nonce read and its list read (the tests of that race).
   */
  beforeList?: ((safe: Address) => Promise<void>) | undefined
  close(): Promise<void>
}

type Entry = {
  tx: SafeTx
  safeTxHash: Hash
  proposer: Address
  submitted: string
  modified: string
  origin: string | null
  confirmations: Confirmation[]
  patch: Record<string, unknown>
}
type Confirmation = { owner: Address; signature: Hex; signatureType: string; submissionDate: string }

const registry = createFunctionRegistry(Object.entries(BUILTIN_ABIS).map(([name, abi]) => ({ name, abi })))
const executionEvents = [
  parseAbiItem('event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)'),
  parseAbiItem('event ExecutionFailure(bytes32 indexed txHash, uint256 payment)'),
]

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export async function startTxServiceEmulator(rpcUrl: string): Promise<TxServiceEmulator> {
  const client: PublicClient = createRpcClient([rpcUrl])
  const chainId = await client.getChainId()
  const entries = new Map<Hash, Entry>()
  const patchesAhead = new Map<Hash, Record<string, unknown>>()
  let window = { second: 0, count: 0 }

  const state = (safe: Address): Promise<SafeState> =>
    readSafeState(client, safe).catch(() => {
      throw new HttpError(404, `Safe ${safe} not found`)
    })

  const executed = async (safe: Address): Promise<Set<string>> => {
    const logs = await client.getLogs({ address: safe, events: executionEvents, fromBlock: 0n })
    return new Set(logs.map((l) => String((l.args as { txHash?: Hash }).txHash).toLowerCase()))
  }

  const verifySignature = async (
    entry: { tx: SafeTx; safeTxHash: Hash },
    signature: Hex,
    st: SafeState,
  ): Promise<Confirmation> => {
    const hashes = safeTxHashes(st.version, chainId, entry.tx)
    const [recovered] = await recoverConfirmations([{ signature }], hashes.safeTxHash)
    const [checked] = recovered
      ? await checkSignaturesOnChain(client, st, entry.tx.safe, hashes, [recovered])
      : []
    if (!checked || checked.malformed || !checked.signer)
      throw new HttpError(422, `invalid signature: ${checked?.malformed ?? 'unreadable'}`)
    if (!checked.isOwner) throw new HttpError(422, `signer ${checked.signer} is not an owner of the Safe`)
    if (checked.kind === 'contract' && !checked.eip1271Valid)
      throw new HttpError(422, 'contract signature is not valid (EIP-1271)')
    const signatureType = {
      ecdsa: 'EOA',
      eth_sign: 'ETH_SIGN',
      'approved-hash': 'APPROVED_HASH',
      contract: 'CONTRACT_SIGNATURE',
    }[checked.kind ?? 'ecdsa']
    return { owner: checked.signer, signature, signatureType, submissionDate: new Date().toISOString() }
  }

  const toJson = (e: Entry, st: SafeState, done: Set<string>) => {
    const call = decodeCallTree(
      { from: e.tx.safe, to: e.tx.to, value: e.tx.value, data: e.tx.data, operation: e.tx.operation },
      registry,
      DEFAULT_LIMITS,
    )
    const isExecuted = done.has(e.safeTxHash.toLowerCase())
    return {
      safe: e.tx.safe,
      to: e.tx.to,
      value: e.tx.value.toString(),
      data: e.tx.data === '0x' ? null : e.tx.data,
      operation: e.tx.operation,
      gasToken: e.tx.gasToken,
      safeTxGas: e.tx.safeTxGas.toString(),
      baseGas: e.tx.baseGas.toString(),
      gasPrice: e.tx.gasPrice.toString(),
      refundReceiver: e.tx.refundReceiver,
      nonce: e.tx.nonce.toString(),
      executionDate: null,
      submissionDate: e.submitted,
      modified: e.modified,
      blockNumber: null,
      transactionHash: null,
      safeTxHash: e.safeTxHash,
      executor: null,
      proposer: e.proposer,
      proposedByDelegate: null,
      isExecuted,
      isSuccessful: isExecuted ? true : null,
      origin: e.origin,
      dataDecoded: serviceDataDecoded(call),
      confirmationsRequired: Number(st.threshold),
      confirmations: e.confirmations,
      trusted: true,
      signatures: null,
      ...e.patch,
    }
  }

  const routes: Array<
    [string, RegExp, (m: RegExpExecArray, req: IncomingMessage, url: URL) => Promise<[number, unknown]>]
  > = [
    [
      'GET about',
      /^\/api\/v1\/about\/$/,
      async () => [200, { name: 'custos lab transaction service emulator', chainId: String(chainId) }],
    ],
    [
      'GET safe',
      /^\/api\/v1\/safes\/(0x[0-9a-fA-F]{40})\/$/,
      async (m) => {
        const st = await state(getAddress(m[1] as string))
        return [
          200,
          {
            address: getAddress(m[1] as string),
            nonce: st.nonce.toString(),
            threshold: Number(st.threshold),
            owners: st.owners,
            version: st.version,
            modules: [],
          },
        ]
      },
    ],
    [
      'GET multisig-transactions',
      /^\/api\/v2\/safes\/(0x[0-9a-fA-F]{40})\/multisig-transactions\/$/,
      async (m, _req, url) => {
        const safe = getAddress(m[1] as string)
        await emulator.beforeList?.(safe)
        const st = await state(safe)
        const p = url.searchParams
        const done = await executed(safe)
        let list = [...entries.values()].filter((e) => e.tx.safe === safe)
        if (p.get('nonce') !== null)
          list = list.filter((e) => e.tx.nonce === BigInt(p.get('nonce') as string))
        if (p.get('nonce__gte') !== null)
          list = list.filter((e) => e.tx.nonce >= BigInt(p.get('nonce__gte') as string))
        if (p.get('executed') !== null)
          list = list.filter((e) => done.has(e.safeTxHash.toLowerCase()) === (p.get('executed') === 'true'))
        list.sort((a, b) =>
          a.tx.nonce === b.tx.nonce
            ? a.submitted.localeCompare(b.submitted)
            : a.tx.nonce < b.tx.nonce
              ? -1
              : 1,
        )
        const limit = Math.min(Number(p.get('limit') ?? 100), 200)
        const offset = Number(p.get('offset') ?? 0)
        return [
          200,
          {
            count: list.length,
            next: null,
            previous: null,
            results: list.slice(offset, offset + limit).map((e) => toJson(e, st, done)),
          },
        ]
      },
    ],
    [
      'POST multisig-transactions',
      /^\/api\/v2\/safes\/(0x[0-9a-fA-F]{40})\/multisig-transactions\/$/,
      async (m, req) => {
        const safe = getAddress(m[1] as string)
        const body = (await readJson(req)) as Record<string, unknown>
        const st = await state(safe)
        let parsed: ReturnType<typeof parseServiceTx>
        try {
          parsed = parseServiceTx({ ...body, safe, safeTxHash: body.contractTransactionHash })
        } catch (e) {
          throw new HttpError(422, (e as Error).message)
        }
        const hash = safeTxHashes(st.version, chainId, parsed.tx).safeTxHash
        if (parsed.claimedSafeTxHash?.toLowerCase() !== hash)
          throw new HttpError(422, `contractTransactionHash is not the hash of the fields (${hash})`)
        if (parsed.tx.nonce < st.nonce) throw new HttpError(422, `nonce ${parsed.tx.nonce} already executed`)
        if (typeof body.sender !== 'string' || !isAddress(body.sender))
          throw new HttpError(422, 'sender is not an address')
        const confirmation = await verifySignature(
          { tx: parsed.tx, safeTxHash: hash },
          String(body.signature ?? '0x') as Hex,
          st,
        )
        if (confirmation.owner !== getAddress(body.sender))
          throw new HttpError(422, `signature is by ${confirmation.owner}, not the sender`)
        const now = new Date().toISOString()
        const existing = entries.get(hash)
        if (existing) return [201, null]
        entries.set(hash, {
          tx: parsed.tx,
          safeTxHash: hash,
          proposer: confirmation.owner,
          submitted: now,
          modified: now,
          origin: typeof body.origin === 'string' ? body.origin : null,
          confirmations: [confirmation],
          patch: patchesAhead.get(hash) ?? {},
        })
        patchesAhead.delete(hash)
        return [201, null]
      },
    ],
    [
      'GET multisig-transaction',
      /^\/api\/v2\/multisig-transactions\/(0x[0-9a-fA-F]{64})\/$/,
      async (m) => {
        const e = entries.get((m[1] as string).toLowerCase() as Hash)
        if (!e) throw new HttpError(404, 'Not found.')
        return [200, toJson(e, await state(e.tx.safe), await executed(e.tx.safe))]
      },
    ],
    [
      'POST confirmations',
      /^\/api\/v1\/multisig-transactions\/(0x[0-9a-fA-F]{64})\/confirmations\/$/,
      async (m, req) => {
        const e = entries.get((m[1] as string).toLowerCase() as Hash)
        if (!e) throw new HttpError(404, 'Not found.')
        const body = (await readJson(req)) as { signature?: string }
        const confirmation = await verifySignature(
          e,
          String(body.signature ?? '0x') as Hex,
          await state(e.tx.safe),
        )
        if (!e.confirmations.some((c) => c.owner === confirmation.owner)) {
          e.confirmations.push(confirmation)
          e.modified = new Date().toISOString()
        }
        return [201, { signature: confirmation.signature }]
      },
    ],
  ]

  const requests = { total: 0, byRoute: new Map<string, number>() }
  const server: Server = createServer((req, res) => {
    void handle(req, res)
  })
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    requests.total++
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(body === null ? '' : JSON.stringify(body))
    }
    if (emulator.outage) return send(emulator.outage, { detail: 'emulated outage' })
    const second = Math.floor(Date.now() / 1000)
    window = window.second === second ? { second, count: window.count + 1 } : { second, count: 1 }
    if (emulator.rateLimitPerSecond !== undefined) {
      const remaining = Math.max(0, emulator.rateLimitPerSecond - window.count)
      const headers = {
        'x-ratelimit-limit': String(emulator.rateLimitPerSecond),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(second + 1),
      }
      if (window.count > emulator.rateLimitPerSecond)
        return send(429, { detail: 'Request was throttled.' }, { ...headers, 'retry-after': '1' })
      res.setHeader('x-ratelimit-remaining', headers['x-ratelimit-remaining'])
      res.setHeader('x-ratelimit-limit', headers['x-ratelimit-limit'])
    }
    for (const [name, pattern, fn] of routes) {
      const m = pattern.exec(url.pathname)
      if (!m || !name.startsWith(req.method ?? 'GET')) continue
      requests.byRoute.set(name, (requests.byRoute.get(name) ?? 0) + 1)
      try {
        const [status, body] = await fn(m, req, url)
        return send(status, body)
      } catch (e) {
        return e instanceof HttpError
          ? send(e.status, { detail: e.message })
          : send(500, { detail: (e as Error).message })
      }
    }
    send(404, { detail: 'Not found.' })
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  const emulator: TxServiceEmulator = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    requests,
    tamper(hash, patch) {
      const key = hash.toLowerCase() as Hash
      const e = entries.get(key)
      if (e) e.patch = { ...e.patch, ...patch }
      else patchesAhead.set(key, { ...patchesAhead.get(key), ...patch })
    },
    remove(hash) {
      entries.delete(hash.toLowerCase() as Hash)
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  return emulator
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > 4 * 1024 * 1024) throw new HttpError(413, 'request too large')
  }
  try {
    return JSON.parse(body || '{}')
  } catch {
    throw new HttpError(400, 'body is not JSON')
  }
}
