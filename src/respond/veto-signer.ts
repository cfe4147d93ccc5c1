import {
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  type Hash,
  type Hex,
  hexToBigInt,
  isAddress,
  keccak256,
  parseAbi,
  parseGwei,
  zeroAddress,
} from 'viem'
import { privateKeyToAddress, sign, signTransaction } from 'viem/accounts'
import { encodeConstantCall, signatureOf } from '../model/constant-call.js'
import { CustosError, InputError } from '../model/errors.js'
import type { SafeTx } from '../model/safe.js'
import { safeTxHashes } from '../model/safe-hash.js'
import { parseSafeVersion } from '../model/safe-version.js'
import { CUSTOS_GUARD_ADDRESS, type GuardSafeTx, guardCalldata } from './guard/contract.js'
import { decryptKeystoreFile, VetoKeyError } from './keystore.js'

// The veto key is the most dangerous thing custos holds, so the only things it can do are the four
// vetoes: a canonical Safe rejection (signed off-chain, or executed), and the three governance cancels;
// and the circuit breaker's one action: a pause call listed in the loaded configuration, to its listed
// target, with its listed arguments (the list is given once, when the signer is created); and, as the
// guardian of the custos Guard, three calls to the guard's own address only: approve and cancel a
// safeTxHash, and schedule a Safe transaction with signatures its owners made (the Safe checks them;
// the key signs nothing of the Safe's).
// Each builder assembles the transaction from validated fields; nothing here signs a hash, a message,
// typed data or a transaction that a caller put together, so a bug or a compromise upstream can at
// worst veto something or send a listed pause (and spend gas within VETO_LIMITS), never move funds. Whether `governor` or
// `timelock` really is one, and whether the proposal is still pending, is for the caller to check on
// chain: this module has no RPC, so it cannot.

export { VetoKeyError, type VetoKeyErrorCode } from './keystore.js'

/** A veto input or transaction was refused: nothing was signed. The message names the field, not its value. */
export class VetoRefused extends CustosError {
  override name = 'VetoRefused'
}

// --- the key ---------------------------------------------------------------------------------------

/** A loaded veto key: only its address is visible. The private key lives in a closure held by this module. */
export type VetoKey = { readonly address: Address }

type Secret = {
  signHash(hash: Hash): Promise<Hex>
  signTx(tx: Internal): Promise<Hex>
}

// Keys are objects the module handed out; their secrets are reachable only from here, so neither
// JSON.stringify, util.inspect (even with showHidden) nor a property walk can find them.
const secrets = new WeakMap<object, Secret>()

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

function fromPrivateKey(privateKey: Hex): VetoKey {
  const address = privateKeyToAddress(privateKey)
  const key: VetoKey = Object.freeze({ address })
  secrets.set(key, {
    // v is 27/28, the form Safe's checkNSignatures and the transaction service take for an EIP-712
    // signature of the safeTxHash.
    signHash: async (hash) => {
      const { r, s, yParity } = await sign({ hash, privateKey, to: 'object' })
      return `0x${r.slice(2)}${s.slice(2)}${yParity === 0 ? '1b' : '1c'}`
    },
    signTx: (tx) =>
      signTransaction({
        privateKey,
        transaction: {
          type: 'eip1559',
          chainId: tx.chainId,
          nonce: tx.nonce,
          gas: tx.gas,
          maxFeePerGas: tx.maxFeePerGas,
          maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
          to: tx.to,
          value: 0n,
          data: tx.data,
        },
      }),
  })
  return key
}

/** A variable's non-empty string value; an own property only, so that `toString` is never a key. */
const envValue = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const value: unknown = Object.hasOwn(env, name) ? env[name] : undefined
  return typeof value === 'string' && value !== '' ? value : undefined
}

export type LoadVetoKeyOptions = {
  env: NodeJS.ProcessEnv
  /** The variable holding a 0x-prefixed 32-byte hex private key. */
  keyEnv?: string
  /** A keystore v3 file, decrypted with the passphrase in `passphraseEnv`. */
  keystoreFile?: string
  passphraseEnv?: string
}

/**
 * Loads the veto key from `env[keyEnv]`, or from `keystoreFile` with the passphrase in
 * `env[passphraseEnv]` (exactly one of the two ways). Throws VetoKeyError, whose message never holds
 * the key or the passphrase. The variables stay in `env`: a caller that spawns processes (anvil) may
 * want to delete them once the key is loaded.
 */
export function loadVetoKey(opts: LoadVetoKeyOptions): VetoKey {
  if (typeof opts !== 'object' || opts === null || typeof opts.env !== 'object' || opts.env === null)
    throw new VetoKeyError('config', 'veto key: options with an env object are required')
  const { env, keyEnv, keystoreFile, passphraseEnv } = opts
  for (const [name, v] of [
    ['keyEnv', keyEnv],
    ['keystoreFile', keystoreFile],
    ['passphraseEnv', passphraseEnv],
  ] as const) {
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw new VetoKeyError('config', `veto key: ${name} must be a non-empty string`)
  }
  if ((keyEnv === undefined) === (keystoreFile === undefined))
    throw new VetoKeyError('config', 'veto key: configure exactly one of keyEnv and keystoreFile')

  if (keyEnv !== undefined) {
    if (passphraseEnv !== undefined)
      throw new VetoKeyError('config', 'veto key: passphraseEnv goes with keystoreFile, not keyEnv')
    const raw = envValue(env, keyEnv)
    if (raw === undefined)
      throw new VetoKeyError('config', `veto key: environment variable ${keyEnv} is not set`)
    // Surrounding whitespace is a common accident of .env files and secret mounts, not part of a key.
    const key = raw.trim()
    if (!PRIVATE_KEY.test(key))
      throw new VetoKeyError(
        'key-format',
        `veto key: ${keyEnv} must hold a 0x-prefixed 32-byte hex private key (${raw.length} characters found)`,
      )
    const scalar = hexToBigInt(key as Hex)
    if (scalar === 0n || scalar >= SECP256K1_N)
      throw new VetoKeyError('key-format', `veto key: ${keyEnv} is not a valid secp256k1 private key`)
    return fromPrivateKey(key.toLowerCase() as Hex)
  }

  if (keystoreFile === undefined || passphraseEnv === undefined)
    throw new VetoKeyError(
      'config',
      'veto key: keystoreFile needs passphraseEnv, the variable with its passphrase',
    )
  // An empty passphrase is refused too: it is far more often a secret that failed to mount than a
  // deliberately unprotected keystore.
  const passphrase = envValue(env, passphraseEnv)
  if (passphrase === undefined)
    throw new VetoKeyError('config', `veto key: environment variable ${passphraseEnv} is not set`)
  return fromPrivateKey(decryptKeystoreFile(keystoreFile, passphrase))
}

// --- inputs ----------------------------------------------------------------------------------------

/** Bounds on what the signer accepts; anything outside is refused. */
export const VETO_LIMITS = Object.freeze({
  /** Calls in a governor proposal (Compound caps at 10; OZ has no cap). */
  maxActions: 256,
  /** Total bytes of a proposal's calldatas. */
  maxCalldataBytes: 1024 * 1024,
  /** Bytes of the owners' signatures for execTransaction (contract signatures carry dynamic data). */
  maxSignaturesBytes: 64 * 1024,
  /** A Safe nonce: it counts executed transactions, so 2^64 is never reached. */
  maxSafeNonce: 2n ** 64n - 1n,
  /** The sending account's nonce. */
  maxTxNonce: Number.MAX_SAFE_INTEGER,
  maxGas: 30_000_000n,
  /** 10,000 gwei: above any gas market, so that a caller's bug cannot spend the key's balance on fees. */
  maxFeePerGas: parseGwei('10000'),
  /** Pause calls listed, and the length of their ids, signatures and argument lists. */
  maxPauses: 256,
  maxPauseText: 200,
  maxPauseArgs: 32,
})

const MAX_UINT256 = 2n ** 256n - 1n

export type SafeRejectionInput = { chainId: number; safe: Address; version: string; nonce: bigint }
export type SafeRejectionExecInput = SafeRejectionInput & { signatures: Hex }
export type GovernorCancelInput = {
  chainId: number
  governor: Address
  targets: Address[]
  values: bigint[]
  calldatas: Hex[]
  descriptionHash: Hash
}
export type BravoCancelInput = { chainId: number; governor: Address; proposalId: bigint }
export type TimelockCancelInput = { chainId: number; timelock: Address; operationId: Hash }
/** A pause call from the configuration (`protocols[].pauses`): the only pauses the signer will build. */
export type ListedPause = { id: string; chainId: number; target: Address; function: string; args: unknown[] }
/** Which listed pause to send: nothing else about it is the caller's to choose. */
export type PauseInput = { id: string }
/** approve or cancel `safeTxHash` of `safe` on the custos Guard at `guard`. */
export type GuardHashInput = { chainId: number; guard: Address; safe: Address; safeTxHash: Hash }
/** schedule `tx` of `safe` on the custos Guard at `guard`, with the owners' packed signatures. */
export type GuardScheduleInput = {
  chainId: number
  guard: Address
  safe: Address
  tx: GuardSafeTx
  signatures: Hex
}
/** The sending account's nonce, gas and EIP-1559 fees, which the caller reads from the chain. */
export type VetoTxParams = {
  nonce: number | bigint
  gas: number | bigint
  maxFeePerGas: number | bigint
  maxPriorityFeePerGas: number | bigint
}

function refuse(message: string): never {
  throw new VetoRefused(message)
}

/**
 * Copies the expected fields of a plain object, refusing anything else: another prototype (a class
 * instance, a Map), a missing field, an extra one (string or symbol), an accessor. Each field is read
 * once, from its descriptor, and only the copy is used afterwards, so a getter or a Proxy cannot show
 * one value to the checks and another to the encoder.
 */
function strict<K extends string>(
  input: unknown,
  what: string,
  keys: readonly K[],
  optional: readonly K[] = [],
): Record<K, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) refuse(`${what} must be an object`)
  const obj = input as object
  const proto: unknown = Object.getPrototypeOf(obj)
  if (proto !== Object.prototype && proto !== null) refuse(`${what} must be a plain object`)
  for (const k of Reflect.ownKeys(obj)) {
    if (typeof k !== 'string') refuse(`${what} has a symbol property`)
    else if (!(keys as readonly string[]).includes(k)) refuse(`${what} has an unexpected field ${quote(k)}`)
  }
  const out = Object.create(null) as Record<K, unknown>
  for (const k of keys) {
    const d = Object.getOwnPropertyDescriptor(obj, k)
    if (d === undefined) {
      if (!optional.includes(k)) refuse(`${what}.${k} is missing`)
    } else if (!('value' in d)) refuse(`${what}.${k} must be a value, not an accessor`)
    else out[k] = d.value
  }
  return out
}

const quote = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)

/** A plain array's elements, copied the same way; holes and extra properties are refused. */
function list(value: unknown, what: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype)
    refuse(`${what} must be an array`)
  const arr: readonly unknown[] = value
  const length: unknown = Object.getOwnPropertyDescriptor(arr, 'length')?.value
  if (typeof length !== 'number' || length < min || length > max)
    refuse(`${what} must hold ${min} to ${max} elements`)
  if (Reflect.ownKeys(arr).length !== length + 1)
    refuse(`${what} must be a dense array without extra properties`)
  const out: unknown[] = []
  for (let i = 0; i < length; i++) {
    const d = Object.getOwnPropertyDescriptor(arr, String(i))
    if (d === undefined || !('value' in d)) refuse(`${what}[${i}] must be a value`)
    else out.push(d.value)
  }
  return out
}

function chainIdOf(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    refuse(`${what} must be a positive safe integer`)
  return v
}

/** A 20-byte address, lower case or correctly EIP-55 checksummed; returned checksummed. */
function addressOf(v: unknown, what: string, opts: { nonZero: boolean }): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: true }))
    refuse(`${what} must be a 0x address, lower case or EIP-55 checksummed`)
  const a = getAddress(v)
  if (opts.nonZero && a === zeroAddress) refuse(`${what} cannot be the zero address`)
  return a
}

const HEX_BYTES = /^0x(?:[0-9a-fA-F]{2})*$/

function bytesOf(v: unknown, what: string, maxBytes: number): Hex {
  // The length check first, so the pattern never runs over something huge.
  if (typeof v !== 'string' || v.length > 2 + 2 * maxBytes || !HEX_BYTES.test(v))
    refuse(`${what} must be 0x-prefixed hex of whole bytes, at most ${maxBytes} bytes`)
  return v.toLowerCase() as Hex
}

function hashOf(v: unknown, what: string): Hash {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) refuse(`${what} must be a 32-byte 0x hex hash`)
  return v.toLowerCase() as Hash
}

function uintOf(v: unknown, what: string, max: bigint): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > max) refuse(`${what} must be a bigint from 0 to ${max}`)
  return v
}

/** A bigint, or a number that is a safe integer: the transaction parameters take either. */
function countOf(v: unknown, what: string, max: bigint): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return countOf(BigInt(v), what, max)
  if (typeof v !== 'bigint' || v < 0n || v > max) refuse(`${what} must be an integer from 0 to ${max}`)
  return v
}

function versionOf(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length > 32) refuse(`${what} must be a known Safe version`)
  try {
    return parseSafeVersion(v).version
  } catch (error) {
    if (error instanceof InputError) return refuse(`${what} must be a known Safe version`)
    throw error
  }
}

function txParamsOf(input: unknown): Omit<Internal, 'action' | 'chainId' | 'from' | 'to' | 'value' | 'data'> {
  const f = strict(input, 'transaction parameters', ['nonce', 'gas', 'maxFeePerGas', 'maxPriorityFeePerGas'])
  const nonce = countOf(f.nonce, 'nonce', BigInt(VETO_LIMITS.maxTxNonce))
  const gas = countOf(f.gas, 'gas', VETO_LIMITS.maxGas)
  const maxFeePerGas = countOf(f.maxFeePerGas, 'maxFeePerGas', VETO_LIMITS.maxFeePerGas)
  const maxPriorityFeePerGas = countOf(f.maxPriorityFeePerGas, 'maxPriorityFeePerGas', maxFeePerGas)
  return { nonce: Number(nonce), gas, maxFeePerGas, maxPriorityFeePerGas }
}

function safeRejectionOf(input: unknown, what: string): SafeRejectionInput {
  const f = strict(input, what, ['chainId', 'safe', 'version', 'nonce'])
  return {
    chainId: chainIdOf(f.chainId, `${what}.chainId`),
    safe: addressOf(f.safe, `${what}.safe`, { nonZero: true }),
    version: versionOf(f.version, `${what}.version`),
    nonce: uintOf(f.nonce, `${what}.nonce`, VETO_LIMITS.maxSafeNonce),
  }
}

/**
 * Runs a builder's checks and encoding: anything thrown that is not already a refusal (an input that
 * breaks a reader in a way not foreseen) becomes one, so that callers see a single kind of error for
 * bad input.
 */
function guarded<T>(what: string, build: () => T): T {
  try {
    return build()
  } catch (error) {
    if (error instanceof VetoRefused) throw error
    throw new VetoRefused(`${what}: the input could not be read`, { cause: error })
  }
}

// --- transactions ----------------------------------------------------------------------------------

/** What a veto transaction does, for the audit log. */
export type VetoAction =
  | { kind: 'safe-rejection'; safe: Address; nonce: bigint; safeTxHash: Hash }
  | { kind: 'governor-cancel'; governor: Address; proposalId: bigint; descriptionHash: Hash }
  | { kind: 'bravo-cancel'; governor: Address; proposalId: bigint }
  | { kind: 'timelock-cancel'; timelock: Address; operationId: Hash }
  | { kind: 'pause'; id: string; target: Address; signature: string }
  | { kind: 'guard-approve' | 'guard-cancel'; guard: Address; safe: Address; safeTxHash: Hash }
  | { kind: 'guard-schedule'; guard: Address; safe: Address; nonce: bigint; safeTxHash: Hash }

type Internal = {
  action: Readonly<VetoAction>
  chainId: number
  from: Address
  to: Address
  value: bigint
  data: Hex
  nonce: number
  gas: bigint
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}

declare const unsignedTxBrand: unique symbol

/**
 * A veto transaction built by a signer, ready for its signTransaction. Its fields are readable (to
 * estimate gas, to log) and frozen; only objects this module created are accepted for signing, and
 * only by the signer that created them.
 */
export type UnsignedTx = Readonly<Internal> & { readonly [unsignedTxBrand]: true }

export type SignedSafeRejection = { safeTxHash: Hash; signature: Hex; tx: SafeTx }

export type VetoSigner = {
  readonly address: Address
  /** Signs (EIP-712, v 27/28) the canonical rejection of `safe` at `nonce`, for the transaction service. */
  signSafeRejection(input: SafeRejectionInput): Promise<SignedSafeRejection>
  /** OZ Governor `cancel(targets, values, calldatas, descriptionHash)`, as the proposal guardian. */
  cancelGovernorProposal(input: GovernorCancelInput, params: VetoTxParams): UnsignedTx
  /** GovernorBravo `cancel(proposalId)`, as its guardian. */
  cancelBravoProposal(input: BravoCancelInput, params: VetoTxParams): UnsignedTx
  /** TimelockController `cancel(id)`, with CANCELLER_ROLE. */
  cancelTimelockOperation(input: TimelockCancelInput, params: VetoTxParams): UnsignedTx
  /** Safe `execTransaction` of the canonical rejection with the owners' packed signatures. */
  executeSafeRejection(input: SafeRejectionExecInput, params: VetoTxParams): UnsignedTx
  /** The circuit breaker: the listed pause `id`, to its listed target with its listed arguments. */
  pauseProtocol(input: PauseInput, params: VetoTxParams): UnsignedTx
  /** custos Guard `approve(safe, safeTxHash)`, to an allowed guard address only. */
  approveOnGuard(input: GuardHashInput, params: VetoTxParams): UnsignedTx
  /** custos Guard `cancel(safe, safeTxHash)`, to an allowed guard address only. */
  cancelOnGuard(input: GuardHashInput, params: VetoTxParams): UnsignedTx
  /** custos Guard `schedule(safe, tx, signatures)`: the owners' signatures, passed through, never made here. */
  scheduleOnGuard(input: GuardScheduleInput, params: VetoTxParams): UnsignedTx
  /** Signs an UnsignedTx from this signer as a raw EIP-1559 transaction for eth_sendRawTransaction. */
  signTransaction(tx: UnsignedTx): Promise<Hex>
}

const vetoAbi = parseAbi([
  'function cancel(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) returns (uint256)',
  'function cancel(uint256 proposalId)',
  'function cancel(bytes32 id)',
  'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool success)',
])
// The three cancels share a name; picking each by its full signature keeps viem from choosing an
// overload by the shape of the arguments.
const ozCancelAbi = [vetoAbi[0]] as const
const bravoCancelAbi = [vetoAbi[1]] as const
const timelockCancelAbi = [vetoAbi[2]] as const
const execAbi = [vetoAbi[3]] as const

/** The one Safe transaction the key signs: a call to the Safe itself that does nothing but use up `nonce`. */
function canonicalRejection(safe: Address, nonce: bigint): SafeTx {
  return Object.freeze({
    safe,
    to: safe,
    value: 0n,
    data: '0x',
    operation: 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce,
  })
}

const INTERNAL_FIELDS = [
  'chainId',
  'from',
  'to',
  'value',
  'data',
  'nonce',
  'gas',
  'maxFeePerGas',
  'maxPriorityFeePerGas',
] as const

type Pause = { chainId: number; target: Address; data: Hex; signature: string }

/** The listed pauses, validated and encoded once: the signer builds from these copies only. */
function pausesOf(given: unknown): ReadonlyMap<string, Pause> {
  const out = new Map<string, Pause>()
  if (given === undefined) return out
  const listed = list(given, 'pauses', 0, VETO_LIMITS.maxPauses)
  for (const [i, entry] of listed.entries()) {
    const what = `pauses[${i}]`
    const f = strict(entry, what, ['id', 'chainId', 'target', 'function', 'args'])
    const text = (v: unknown, name: string) => {
      if (typeof v !== 'string' || v === '' || v.length > VETO_LIMITS.maxPauseText)
        refuse(`${what}.${name} must be a string of 1 to ${VETO_LIMITS.maxPauseText} characters`)
      return v
    }
    const id = text(f.id, 'id')
    if (out.has(id)) refuse(`${what}.id is listed twice`)
    const signature = text(f.function, 'function')
    const args = list(f.args, `${what}.args`, 0, VETO_LIMITS.maxPauseArgs)
    let call: ReturnType<typeof encodeConstantCall>
    try {
      call = encodeConstantCall(signature, args)
    } catch (error) {
      if (error instanceof InputError) return refuse(`${what}.function and args do not make a call`)
      throw error
    }
    out.set(
      id,
      Object.freeze({
        chainId: chainIdOf(f.chainId, `${what}.chainId`),
        target: addressOf(f.target, `${what}.target`, { nonZero: true }),
        data: call.data,
        signature: signatureOf(call.fn),
      }),
    )
  }
  return out
}

export type VetoSignerOptions = {
  /** The listed pauses (`protocols[].pauses`): the only pauses the signer will build. */
  pauses?: ListedPause[]
  /** The custos Guard addresses the key may call (the configured ones); by default the deterministic one. */
  guards?: readonly Address[]
}

/**
 * The signer for a loaded key: the four veto builders, the Safe rejection signature, the listed
 * pauses (from `options.pauses`, fixed here), the three guard calls to the allowed guard
 * addresses, and nothing else.
 */
export function createVetoSigner(key: VetoKey, options: VetoSignerOptions = {}): VetoSigner {
  const secret = typeof key === 'object' && key !== null ? secrets.get(key) : undefined
  if (!secret) throw new VetoRefused('createVetoSigner: not a key from loadVetoKey')
  const opts = guarded('createVetoSigner', () =>
    strict(options, 'signer options', ['pauses', 'guards'], ['pauses', 'guards']),
  )
  const pauses = guarded('createVetoSigner', () => pausesOf(opts.pauses))
  const address = key.address
  const guards = new Set(
    guarded('createVetoSigner', () =>
      list(opts.guards ?? [CUSTOS_GUARD_ADDRESS], 'guards', 0, 64).map((g, i) =>
        addressOf(g, `guards[${i}]`, { nonZero: true }),
      ),
    ),
  )
  const guardOf = (v: unknown): Address => {
    const g = addressOf(v, 'guard', { nonZero: true })
    if (!guards.has(g)) refuse('guard is not a custos Guard address this key may call')
    return g
  }
  // Transactions this signer built, mapped to the copy it signs from: a look-alike object, a copy, or
  // one from another signer is not in here.
  const issued = new WeakMap<object, Internal>()

  const issue = (
    action: VetoAction,
    chainId: number,
    to: Address,
    data: Hex,
    params: unknown,
  ): UnsignedTx => {
    const p = txParamsOf(params)
    const internal: Internal = Object.freeze({
      action: Object.freeze(action),
      chainId,
      from: address,
      to,
      value: 0n,
      data,
      ...p,
    })
    const visible = Object.freeze({ ...internal, action: Object.freeze({ ...action }) })
    issued.set(visible, internal)
    return visible as UnsignedTx
  }

  const cancelGovernorProposal = (input: GovernorCancelInput, params: VetoTxParams): UnsignedTx =>
    guarded('cancelGovernorProposal', () => {
      const f = strict(input, 'governor cancel', [
        'chainId',
        'governor',
        'targets',
        'values',
        'calldatas',
        'descriptionHash',
      ])
      const chainId = chainIdOf(f.chainId, 'chainId')
      const governor = addressOf(f.governor, 'governor', { nonZero: true })
      const max = VETO_LIMITS.maxActions
      // A proposal may call the zero address (a burn): targets are the proposal's, whatever they are.
      const targets = list(f.targets, 'targets', 1, max).map((t, i) =>
        addressOf(t, `targets[${i}]`, { nonZero: false }),
      )
      const values = list(f.values, 'values', 1, max).map((v, i) => uintOf(v, `values[${i}]`, MAX_UINT256))
      let budget = VETO_LIMITS.maxCalldataBytes
      const calldatas = list(f.calldatas, 'calldatas', 1, max).map((c, i) => {
        const hex = bytesOf(c, `calldatas[${i}]`, budget)
        budget -= (hex.length - 2) / 2
        return hex
      })
      if (targets.length !== values.length || targets.length !== calldatas.length)
        refuse('targets, values and calldatas must have the same length')
      const descriptionHash = hashOf(f.descriptionHash, 'descriptionHash')
      // OZ's hashProposal, so that the audit log names the proposal being cancelled.
      const proposalId = hexToBigInt(
        keccak256(
          encodeAbiParameters(
            [{ type: 'address[]' }, { type: 'uint256[]' }, { type: 'bytes[]' }, { type: 'bytes32' }],
            [targets, values, calldatas, descriptionHash],
          ),
        ),
      )
      const data = encodeFunctionData({
        abi: ozCancelAbi,
        functionName: 'cancel',
        args: [targets, values, calldatas, descriptionHash],
      })
      return issue(
        { kind: 'governor-cancel', governor, proposalId, descriptionHash },
        chainId,
        governor,
        data,
        params,
      )
    })

  const cancelBravoProposal = (input: BravoCancelInput, params: VetoTxParams): UnsignedTx =>
    guarded('cancelBravoProposal', () => {
      const f = strict(input, 'Bravo cancel', ['chainId', 'governor', 'proposalId'])
      const chainId = chainIdOf(f.chainId, 'chainId')
      const governor = addressOf(f.governor, 'governor', { nonZero: true })
      const proposalId = uintOf(f.proposalId, 'proposalId', MAX_UINT256)
      const data = encodeFunctionData({ abi: bravoCancelAbi, functionName: 'cancel', args: [proposalId] })
      return issue({ kind: 'bravo-cancel', governor, proposalId }, chainId, governor, data, params)
    })

  const cancelTimelockOperation = (input: TimelockCancelInput, params: VetoTxParams): UnsignedTx =>
    guarded('cancelTimelockOperation', () => {
      const f = strict(input, 'timelock cancel', ['chainId', 'timelock', 'operationId'])
      const chainId = chainIdOf(f.chainId, 'chainId')
      const timelock = addressOf(f.timelock, 'timelock', { nonZero: true })
      const operationId = hashOf(f.operationId, 'operationId')
      const data = encodeFunctionData({ abi: timelockCancelAbi, functionName: 'cancel', args: [operationId] })
      return issue({ kind: 'timelock-cancel', timelock, operationId }, chainId, timelock, data, params)
    })

  const executeSafeRejection = (input: SafeRejectionExecInput, params: VetoTxParams): UnsignedTx =>
    guarded('executeSafeRejection', () => {
      const f = strict(input, 'Safe rejection execution', [
        'chainId',
        'safe',
        'version',
        'nonce',
        'signatures',
      ])
      const { chainId, safe, version, nonce } = safeRejectionOf(
        { chainId: f.chainId, safe: f.safe, version: f.version, nonce: f.nonce },
        'Safe rejection',
      )
      const signatures = bytesOf(f.signatures, 'signatures', VETO_LIMITS.maxSignaturesBytes)
      if (signatures.length < 2 + 130) refuse('signatures must hold at least one 65-byte signature')
      const tx = canonicalRejection(safe, nonce)
      // The Safe checks the signatures against the hash at its current nonce; `nonce` and `version`
      // name that hash for the audit log.
      const { safeTxHash } = safeTxHashes(version, chainId, tx)
      const data = encodeFunctionData({
        abi: execAbi,
        functionName: 'execTransaction',
        args: [
          tx.to,
          tx.value,
          tx.data,
          tx.operation,
          tx.safeTxGas,
          tx.baseGas,
          tx.gasPrice,
          tx.gasToken,
          tx.refundReceiver,
          signatures,
        ],
      })
      return issue({ kind: 'safe-rejection', safe, nonce, safeTxHash }, chainId, safe, data, params)
    })

  const pauseProtocol = (input: PauseInput, params: VetoTxParams): UnsignedTx =>
    guarded('pauseProtocol', () => {
      const f = strict(input, 'pause', ['id'])
      const pause = typeof f.id === 'string' ? pauses.get(f.id) : undefined
      if (!pause) return refuse('id is not a pause listed in the configuration')
      return issue(
        { kind: 'pause', id: f.id as string, target: pause.target, signature: pause.signature },
        pause.chainId,
        pause.target,
        pause.data,
        params,
      )
    })

  const guardHash = (
    kind: 'guard-approve' | 'guard-cancel',
    input: GuardHashInput,
    params: VetoTxParams,
  ): UnsignedTx =>
    guarded(kind === 'guard-approve' ? 'approveOnGuard' : 'cancelOnGuard', () => {
      const f = strict(input, 'guard call', ['chainId', 'guard', 'safe', 'safeTxHash'])
      const chainId = chainIdOf(f.chainId, 'chainId')
      const guard = guardOf(f.guard)
      const safe = addressOf(f.safe, 'safe', { nonZero: true })
      const safeTxHash = hashOf(f.safeTxHash, 'safeTxHash')
      const data =
        kind === 'guard-approve'
          ? guardCalldata.approve(safe, safeTxHash)
          : guardCalldata.cancel(safe, safeTxHash)
      return issue({ kind, guard, safe, safeTxHash }, chainId, guard, data, params)
    })

  const scheduleOnGuard = (input: GuardScheduleInput, params: VetoTxParams): UnsignedTx =>
    guarded('scheduleOnGuard', () => {
      const f = strict(input, 'guard schedule', ['chainId', 'guard', 'safe', 'tx', 'signatures'])
      const chainId = chainIdOf(f.chainId, 'chainId')
      const guard = guardOf(f.guard)
      const safe = addressOf(f.safe, 'safe', { nonZero: true })
      const t = strict(f.tx, 'tx', [
        'to',
        'value',
        'data',
        'operation',
        'safeTxGas',
        'baseGas',
        'gasPrice',
        'gasToken',
        'refundReceiver',
        'nonce',
      ])
      const operation = t.operation
      if (operation !== 0 && operation !== 1) refuse('tx.operation must be 0 (CALL) or 1 (DELEGATECALL)')
      const tx: GuardSafeTx = {
        to: addressOf(t.to, 'tx.to', { nonZero: false }),
        value: uintOf(t.value, 'tx.value', MAX_UINT256),
        data: bytesOf(t.data, 'tx.data', VETO_LIMITS.maxCalldataBytes),
        operation,
        safeTxGas: uintOf(t.safeTxGas, 'tx.safeTxGas', MAX_UINT256),
        baseGas: uintOf(t.baseGas, 'tx.baseGas', MAX_UINT256),
        gasPrice: uintOf(t.gasPrice, 'tx.gasPrice', MAX_UINT256),
        gasToken: addressOf(t.gasToken, 'tx.gasToken', { nonZero: false }),
        refundReceiver: addressOf(t.refundReceiver, 'tx.refundReceiver', { nonZero: false }),
        nonce: uintOf(t.nonce, 'tx.nonce', VETO_LIMITS.maxSafeNonce),
      }
      const signatures = bytesOf(f.signatures, 'signatures', VETO_LIMITS.maxSignaturesBytes)
      if (signatures.length < 2 + 130) refuse('signatures must hold at least one 65-byte signature')
      // The guard recomputes the hash; this one names the transaction in the audit log. The version
      // only changes the hash before Safe 1.0, which the guard does not support.
      const { safeTxHash } = safeTxHashes('1.3.0', chainId, { safe, ...tx })
      return issue(
        { kind: 'guard-schedule', guard, safe, nonce: tx.nonce, safeTxHash },
        chainId,
        guard,
        guardCalldata.schedule(safe, tx, signatures),
        params,
      )
    })

  const signSafeRejection = async (input: SafeRejectionInput): Promise<SignedSafeRejection> => {
    const { tx, safeTxHash } = guarded('signSafeRejection', () => {
      const { chainId, safe, version, nonce } = safeRejectionOf(input, 'Safe rejection')
      const tx = canonicalRejection(safe, nonce)
      return { tx, safeTxHash: safeTxHashes(version, chainId, tx).safeTxHash }
    })
    const signature = await secret.signHash(safeTxHash)
    return Object.freeze({ safeTxHash, signature, tx })
  }

  const signTx = async (tx: UnsignedTx): Promise<Hex> => {
    const internal = guarded('signTransaction', () => {
      const found = typeof tx === 'object' && tx !== null ? issued.get(tx) : undefined
      if (!found) return refuse('signTransaction: not a transaction built by this veto signer')
      // Frozen objects cannot change; this check is for the day something unfreezes them.
      for (const k of INTERNAL_FIELDS) {
        const d = Object.getOwnPropertyDescriptor(tx, k)
        if (!d || !Object.is(d.value, found[k])) refuse(`signTransaction: field ${k} was changed`)
      }
      return found
    })
    return secret.signTx(internal)
  }

  return Object.freeze({
    address,
    signSafeRejection,
    cancelGovernorProposal,
    cancelBravoProposal,
    cancelTimelockOperation,
    executeSafeRejection,
    pauseProtocol,
    approveOnGuard: (input: GuardHashInput, params: VetoTxParams) =>
      guardHash('guard-approve', input, params),
    cancelOnGuard: (input: GuardHashInput, params: VetoTxParams) => guardHash('guard-cancel', input, params),
    scheduleOnGuard,
    signTransaction: signTx,
  })
}
