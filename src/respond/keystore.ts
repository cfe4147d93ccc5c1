import { createDecipheriv, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { bytesToHex, concat, type Hex, keccak256 } from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { InputError } from '../model/errors.js'

// Ethereum keystore v3 ("Web3 Secret Storage"), as geth, clef, foundry's `cast wallet` and ethers write
// it: the key is AES-128-CTR encrypted under the first 16 bytes of a scrypt or PBKDF2-SHA256 key, and
// keccak256(derivedKey[16..32] ‖ ciphertext) authenticates the passphrase before anything is decrypted.

/** What went wrong, for callers that react differently (a wrong passphrase is not a missing file). */
export type VetoKeyErrorCode =
  | 'config'
  | 'key-format'
  | 'keystore-read'
  | 'keystore-format'
  | 'keystore-unsupported'
  | 'wrong-passphrase'
  | 'address-mismatch'

/**
 * The veto key could not be loaded. Messages name the environment variable or file and what is wrong
 * with it, never the key, the passphrase or the ciphertext; a `cause` is attached only when it cannot
 * hold them either (a file system error, node:crypto's message on a KDF failure), which is why a JSON
 * parse error is not kept: V8 quotes the text it failed on.
 */
export class VetoKeyError extends InputError {
  override name = 'VetoKeyError'
  readonly code: VetoKeyErrorCode
  constructor(code: VetoKeyErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }
}

// A keystore holds one key and a few parameters; anything bigger is not one.
const MAX_KEYSTORE_BYTES = 64 * 1024
// Bounds that keep a hostile or corrupt file from making the KDF take minutes or gigabytes. geth's
// "standard" scrypt (n 2^18, r 8, p 1) takes 256 MiB and about a second; its "light" one n 2^12.
const MAX_SCRYPT_N = 2 ** 20
const MAX_SCRYPT_R = 32
const MAX_SCRYPT_P = 16
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024
const MAX_SCRYPT_WORK = 2 ** 24 // n·r·p, in units of 128-byte blocks mixed
const MAX_PBKDF2_ROUNDS = 10_000_000
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

const formatError = (what: string) => new VetoKeyError('keystore-format', `keystore: ${what}`)

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

// Own properties only: a keystore is parsed JSON, and nothing should come from Object.prototype.
const field = (obj: Record<string, unknown>, name: string): unknown =>
  Object.hasOwn(obj, name) ? obj[name] : undefined

/** Hex as keystores write it (no 0x, though some tools add one), of an exact or bounded length. */
function hexBytes(
  value: unknown,
  path: string,
  length: { exact?: number; min?: number; max?: number },
): Buffer {
  if (typeof value !== 'string') throw formatError(`${path} must be a hex string`)
  const hex = value.startsWith('0x') ? value.slice(2) : value
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw formatError(`${path} must be a hex string of whole bytes`)
  const n = hex.length / 2
  if (length.exact !== undefined && n !== length.exact)
    throw formatError(`${path} must be ${length.exact} bytes`)
  if (length.min !== undefined && n < length.min)
    throw formatError(`${path} must be at least ${length.min} bytes`)
  if (length.max !== undefined && n > length.max)
    throw formatError(`${path} must be at most ${length.max} bytes`)
  return Buffer.from(hex, 'hex')
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw new VetoKeyError(
      'keystore-unsupported',
      `keystore: ${path} must be an integer from ${min} to ${max} (custos bounds the KDF's cost)`,
    )
  return value
}

function deriveKey(kdf: unknown, params: unknown, passphrase: Buffer): Buffer {
  if (!isRecord(params)) throw formatError('crypto.kdfparams must be an object')
  const salt = hexBytes(field(params, 'salt'), 'crypto.kdfparams.salt', { min: 1, max: 1024 })
  // 32 bytes are used (16 for AES, 16 for the MAC); tools write exactly 32.
  const dklen = integer(field(params, 'dklen'), 'crypto.kdfparams.dklen', 32, 64)
  if (kdf === 'scrypt') {
    const n = integer(field(params, 'n'), 'crypto.kdfparams.n', 2, MAX_SCRYPT_N)
    if ((n & (n - 1)) !== 0)
      throw new VetoKeyError('keystore-unsupported', 'keystore: crypto.kdfparams.n must be a power of two')
    const r = integer(field(params, 'r'), 'crypto.kdfparams.r', 1, MAX_SCRYPT_R)
    const p = integer(field(params, 'p'), 'crypto.kdfparams.p', 1, MAX_SCRYPT_P)
    // OpenSSL's scrypt needs 128·r·(n + p + 2) bytes; node refuses above `maxmem` (32 MiB by default,
    // less than geth's standard parameters), so the bound is given explicitly with some headroom.
    // OpenSSL also holds to RFC 7914's n < 2^(16·r), which Go's scrypt (geth) does not: with r = 1,
    // as in the Web3 Secret Storage test vector, n must stay below 2^16. Every common tool writes r = 8.
    if (16 * r < 31 && n >= 2 ** (16 * r))
      throw new VetoKeyError(
        'keystore-unsupported',
        `keystore: scrypt with r = ${r} needs n below 2^${16 * r} here (node:crypto); re-encrypt the key with r = 8`,
      )
    const memory = 128 * r * (n + p + 2)
    if (memory > MAX_SCRYPT_MEMORY || n * r * p > MAX_SCRYPT_WORK)
      throw new VetoKeyError('keystore-unsupported', 'keystore: scrypt parameters beyond what custos accepts')
    return scryptSync(passphrase, salt, dklen, { N: n, r, p, maxmem: memory + 16 * 1024 * 1024 })
  }
  if (kdf === 'pbkdf2') {
    if (field(params, 'prf') !== 'hmac-sha256')
      throw new VetoKeyError(
        'keystore-unsupported',
        'keystore: only pbkdf2 with prf hmac-sha256 is supported',
      )
    const c = integer(field(params, 'c'), 'crypto.kdfparams.c', 1, MAX_PBKDF2_ROUNDS)
    return pbkdf2Sync(passphrase, salt, c, dklen, 'sha256')
  }
  throw new VetoKeyError('keystore-unsupported', 'keystore: crypto.kdf must be scrypt or pbkdf2')
}

/**
 * Decrypts a keystore v3 (its JSON text or the parsed object) and returns the private key, after the
 * MAC proved the passphrase right and, when the file names an address, the key proved to be that
 * address's. The passphrase is used as its UTF-8 bytes, as geth does, and then, if that fails and
 * it differs, NFKC-normalized, as ethers writes it.
 */
export function decryptKeystoreV3(keystore: unknown, passphrase: string): Hex {
  if (typeof passphrase !== 'string')
    throw new VetoKeyError('config', 'keystore: the passphrase must be a string')
  let json: unknown = keystore
  if (typeof keystore === 'string') {
    if (keystore.length > MAX_KEYSTORE_BYTES) throw formatError('the file is too large to be a keystore')
    try {
      json = JSON.parse(keystore)
    } catch {
      throw formatError('not valid JSON')
    }
  }
  if (!isRecord(json)) throw formatError('must be a JSON object')
  if (field(json, 'version') !== 3) throw formatError('version must be 3')
  // geth writes `crypto`; MyEtherWallet and old geth wrote `Crypto`.
  const crypto = field(json, 'crypto') ?? field(json, 'Crypto')
  if (!isRecord(crypto)) throw formatError('crypto must be an object')
  if (field(crypto, 'cipher') !== 'aes-128-ctr')
    throw new VetoKeyError('keystore-unsupported', 'keystore: crypto.cipher must be aes-128-ctr')
  const cipherparams = field(crypto, 'cipherparams')
  if (!isRecord(cipherparams)) throw formatError('crypto.cipherparams must be an object')
  const iv = hexBytes(field(cipherparams, 'iv'), 'crypto.cipherparams.iv', { exact: 16 })
  const ciphertext = hexBytes(field(crypto, 'ciphertext'), 'crypto.ciphertext', { exact: 32 })
  const mac = hexBytes(field(crypto, 'mac'), 'crypto.mac', { exact: 32 })
  const expectedAddress = field(json, 'address')
  let expected: string | undefined
  if (expectedAddress !== undefined) {
    expected = hexBytes(expectedAddress, 'address', { exact: 20 }).toString('hex')
  }

  const kdf = field(crypto, 'kdf')
  const kdfparams = field(crypto, 'kdfparams')
  const candidates = [...new Set([passphrase, passphrase.normalize('NFKC')])]
  let derived: Buffer | undefined
  let plain: Buffer | undefined
  try {
    for (const candidate of candidates) {
      const pass = Buffer.from(candidate, 'utf8')
      try {
        derived = deriveKey(kdf, kdfparams, pass)
      } finally {
        pass.fill(0)
      }
      const computed = Buffer.from(keccak256(concat([derived.subarray(16, 32), ciphertext]), 'bytes'))
      if (timingSafeEqual(computed, mac)) break
      derived.fill(0)
      derived = undefined
    }
    if (derived === undefined)
      throw new VetoKeyError(
        'wrong-passphrase',
        "keystore: the MAC does not match: wrong passphrase, or the file's ciphertext or MAC was altered",
      )
    const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()])
    const scalar = BigInt(`0x${plain.toString('hex')}`)
    if (scalar === 0n || scalar >= SECP256K1_N)
      throw new VetoKeyError('keystore-format', 'keystore: the decrypted key is not a valid secp256k1 key')
    const privateKey = bytesToHex(plain)
    if (expected !== undefined && privateKeyToAddress(privateKey).slice(2).toLowerCase() !== expected)
      throw new VetoKeyError(
        'address-mismatch',
        `keystore: the decrypted key does not belong to the file's address 0x${expected}`,
      )
    return privateKey
  } catch (error) {
    if (error instanceof VetoKeyError) throw error
    // node:crypto's errors (an unsupported parameter combination, memory) hold no secret; only their
    // message is kept, not the object.
    throw new VetoKeyError('keystore-unsupported', 'keystore: the key derivation failed', {
      cause: new Error(error instanceof Error ? error.message : 'unknown error'),
    })
  } finally {
    // Best effort: the returned hex string cannot be wiped, but these buffers can.
    derived?.fill(0)
    plain?.fill(0)
  }
}

/** Reads and decrypts a keystore v3 file. */
export function decryptKeystoreFile(path: string, passphrase: string): Hex {
  let text: string
  try {
    if (statSync(path).size > MAX_KEYSTORE_BYTES)
      throw new VetoKeyError('keystore-read', `keystore ${path}: too large to be a keystore`)
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if (error instanceof VetoKeyError) throw error
    const code = (error as { code?: unknown }).code
    throw new VetoKeyError(
      'keystore-read',
      `keystore ${path}: cannot be read${typeof code === 'string' ? ` (${code})` : ''}`,
      { cause: error },
    )
  }
  try {
    return decryptKeystoreV3(text, passphrase)
  } catch (error) {
    if (!(error instanceof VetoKeyError)) throw error
    // The same error, naming the file.
    throw new VetoKeyError(error.code, error.message.replace(/^keystore:/, `keystore ${path}:`), {
      cause: error.cause,
    })
  }
}
