import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  type Hash,
  type Hex,
  keccak256,
  type PublicClient,
  parseAbi,
} from 'viem'
import { InputError, remoteError } from '../model/errors.js'
import { errorText } from '../model/redact.js'
import type { SafeHashes, SafeState } from '../model/safe.js'
import { safeTxPreimage } from '../model/safe-hash.js'
import { compareVersions, parseSafeVersion } from '../model/safe-version.js'
import type { OfficialContract, SignatureCheck } from '../model/verification.js'
import { canonicalCandidates } from './official.js'

const safeAbi = parseAbi([
  'function VERSION() view returns (string)',
  'function getOwners() view returns (address[])',
  'function getThreshold() view returns (uint256)',
  'function nonce() view returns (uint256)',
  'function approvedHashes(address owner, bytes32 hash) view returns (uint256)',
])
const eip1271 = parseAbi([
  'function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)',
  'function isValidSignature(bytes data, bytes signature) view returns (bytes4)',
])
const MAGIC_BYTES32 = '0x1626ba7e'
const MAGIC_LEGACY = '0x20c13b0b'

const remote = (what: string, cause: unknown) =>
  remoteError(`${what}: ${errorText(cause)}`, { cause, retryable: true })

/** Reads the Safe's version, owners, threshold and nonce: the facts the signatures are judged against. */
export async function readSafeState(client: PublicClient, safe: Address): Promise<SafeState> {
  let chainId: number
  let code: Hex | undefined
  try {
    ;[chainId, code] = await Promise.all([client.getChainId(), client.getCode({ address: safe })])
  } catch (cause) {
    throw remote('cannot reach the RPC node', cause)
  }
  if (!code || code === '0x')
    throw new InputError(`${safe} has no code on chain ${chainId}: it is not a deployed Safe`)
  try {
    const read = <T>(functionName: 'VERSION' | 'getOwners' | 'getThreshold' | 'nonce') =>
      client.readContract({ address: safe, abi: safeAbi, functionName }) as Promise<T>
    const [version, owners, threshold, nonce] = await Promise.all([
      read<string>('VERSION'),
      read<Address[]>('getOwners'),
      read<bigint>('getThreshold'),
      read<bigint>('nonce'),
    ])
    return { chainId, version: parseSafeVersion(version).version, owners: [...owners], threshold, nonce }
  } catch (cause) {
    if (cause instanceof InputError) throw cause
    throw remote(`${safe} does not answer as a Safe (VERSION, getOwners, getThreshold, nonce)`, cause)
  }
}

/** At most this many confirmation checks are in flight against the node at once. */
export const SIGNATURE_RPC_CONCURRENCY = 4

/** Adds the on-chain facts to recovered confirmations: ownership, approved hashes, EIP-1271. */
export async function checkSignaturesOnChain(
  client: PublicClient,
  state: SafeState,
  safe: Address,
  hashes: SafeHashes,
  checks: SignatureCheck[],
): Promise<SignatureCheck[]> {
  const owners = new Set(state.owners)
  // One question per distinct (kind, signer, data): repeated confirmations ask the node once.
  const asked = new Map<string, Promise<Partial<SignatureCheck>>>()
  const ask = (check: SignatureCheck): Promise<Partial<SignatureCheck>> => {
    const key = `${check.kind}:${check.signer}:${check.contractData ?? ''}`
    let answer = asked.get(key)
    if (!answer) {
      answer = onChainFacts(client, state, safe, hashes, check)
      asked.set(key, answer)
    }
    return answer
  }
  return mapBounded(checks, SIGNATURE_RPC_CONCURRENCY, async (check) => {
    if (!check.signer) return check
    const out: SignatureCheck = { ...check, isOwner: owners.has(check.signer) }
    try {
      return { ...out, ...(await ask(check)) }
    } catch (cause) {
      throw remote(`cannot check confirmation ${check.index} on chain`, cause)
    }
  })
}

async function onChainFacts(
  client: PublicClient,
  state: SafeState,
  safe: Address,
  hashes: SafeHashes,
  check: SignatureCheck,
): Promise<Partial<SignatureCheck>> {
  if (!check.signer) return {}
  if (check.kind === 'approved-hash') {
    const approved = await client.readContract({
      address: safe,
      abi: safeAbi,
      functionName: 'approvedHashes',
      args: [check.signer, hashes.safeTxHash],
    })
    return { approvedOnChain: approved !== 0n }
  }
  if (check.kind === 'contract') {
    return {
      eip1271Valid: await isValid1271(
        client,
        state.version,
        check.signer,
        hashes,
        check.contractData ?? '0x',
      ),
    }
  }
  return {}
}

/** `Promise.all(items.map(fn))` with at most `limit` calls running at once; keeps the order. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  let failed = false
  const worker = async () => {
    // After a failure the answer is an error anyway: the other workers stop asking.
    while (next < items.length && !failed) {
      const i = next++
      try {
        out[i] = await fn(items[i] as T)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

// Safe 1.5.0 asks the signer contract about the hash (EIP-1271); older Safes ask about the
// 66-byte preimage with the legacy `isValidSignature(bytes,bytes)`.
async function isValid1271(
  client: PublicClient,
  version: string,
  signer: Address,
  hashes: SafeHashes,
  data: Hex,
) {
  try {
    if (compareVersions(version, '1.5.0') >= 0) {
      const r = await client.readContract({
        address: signer,
        abi: eip1271,
        functionName: 'isValidSignature',
        args: [hashes.safeTxHash, data],
      })
      return r.toLowerCase() === MAGIC_BYTES32
    }
    const r = await client.readContract({
      address: signer,
      abi: [eip1271[1]],
      functionName: 'isValidSignature',
      args: [safeTxPreimage(hashes), data],
    })
    return r.toLowerCase() === MAGIC_LEGACY
  } catch (cause) {
    // A revert (or no answer from a contract without the function) is an invalid signature;
    // a timeout, a 429 or a dead node is the RPC failing, which must not read as "invalid".
    const reverted =
      cause instanceof BaseError &&
      cause.walk(
        (e) => e instanceof ContractFunctionRevertedError || e instanceof ContractFunctionZeroDataError,
      ) !== null
    if (reverted) return false
    throw cause
  }
}

/**
 * On chains safe-deployments does not list, accepts a canonical deployment address as official
 * only when its code on chain has the published code hash.
 */
export async function verifyCanonical(
  client: PublicClient,
  addresses: Address[],
): Promise<Map<Address, OfficialContract>> {
  const found = new Map<Address, OfficialContract>()
  await Promise.all(
    addresses.map(async (address) => {
      const candidates = canonicalCandidates(address)
      if (candidates.length === 0) return
      let code: Hex | undefined
      try {
        code = await client.getCode({ address })
      } catch (cause) {
        throw remote(`cannot read the code of ${address}`, cause)
      }
      if (!code || code === '0x') return
      const hash: Hash = keccak256(code)
      const match = candidates.find((c) => c.codeHash.toLowerCase() === hash.toLowerCase())
      if (match) found.set(address, { name: match.name, version: match.version })
    }),
  )
  return found
}
