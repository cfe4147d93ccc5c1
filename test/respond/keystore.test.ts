import { createCipheriv, pbkdf2Sync, randomBytes, randomUUID, scryptSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { concat, type Hex, hexToBytes, keccak256 } from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import { decryptKeystoreV3, type VetoKeyErrorCode } from '../../src/respond/keystore.js'
import { loadVetoKey, VetoKeyError } from '../../src/respond/veto-signer.js'

const PK: Hex = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
const PASS = 'correct horse battery staple'

type Keystore = {
  version: number
  id: string
  address?: string
  crypto: {
    cipher: string
    cipherparams: { iv: string }
    ciphertext: string
    kdf: string
    kdfparams: Record<string, unknown>
    mac: string
  }
}

/** A keystore v3 written with node:crypto alone; scrypt's n is tiny so that the tests stay fast. */
function encrypt(privateKey: Hex, passphrase: string, kdf: 'scrypt' | 'pbkdf2'): Keystore {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const derived =
    kdf === 'scrypt'
      ? scryptSync(passphrase, salt, 32, { N: 16, r: 8, p: 1 })
      : pbkdf2Sync(passphrase, salt, 1000, 32, 'sha256')
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
  const ciphertext = Buffer.concat([cipher.update(hexToBytes(privateKey)), cipher.final()])
  return {
    version: 3,
    id: randomUUID(),
    address: privateKeyToAddress(privateKey).slice(2).toLowerCase(),
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: iv.toString('hex') },
      ciphertext: ciphertext.toString('hex'),
      kdf,
      kdfparams:
        kdf === 'scrypt'
          ? { dklen: 32, n: 16, r: 8, p: 1, salt: salt.toString('hex') }
          : { c: 1000, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex') },
      mac: keccak256(concat([derived.subarray(16, 32), ciphertext])).slice(2),
    },
  }
}

const dir = mkdtempSync(join(tmpdir(), 'custos-keystore-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const write = (content: unknown): string => {
  const path = join(dir, `k${++files}.json`)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}
const load = (keystore: unknown, passphrase: string | undefined = PASS) =>
  loadVetoKey({
    env: passphrase === undefined ? {} : { CUSTOS_VETO_PASSPHRASE: passphrase },
    keystoreFile: write(keystore),
    passphraseEnv: 'CUSTOS_VETO_PASSPHRASE',
  })

/** The error thrown, checked to be a VetoKeyError of `code` that shows none of `secrets` anywhere. */
function refused(run: () => unknown, code: VetoKeyErrorCode, secrets: string[] = []): VetoKeyError {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(VetoKeyError)
  const error = caught as VetoKeyError
  expect(error.code).toBe(code)
  // Message, stack and cause chain, as a log line or a crash report would print them.
  const shown = `${inspect(error, { depth: 10, showHidden: true })}\n${JSON.stringify(error)}`.toLowerCase()
  for (const secret of [PK, PK.slice(2), PASS, ...secrets]) expect(shown).not.toContain(secret.toLowerCase())
  return error
}

describe('keystore v3', () => {
  it('decrypts the Web3 Secret Storage PBKDF2 test vector; its scrypt one (r = 1) is refused by name', () => {
    const key = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d'
    const pbkdf2 = {
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
        ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
        kdf: 'pbkdf2',
        kdfparams: {
          c: 262144,
          dklen: 32,
          prf: 'hmac-sha256',
          salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd',
        },
        mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
      },
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
      version: 3,
    }
    const scrypt = {
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
        ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
        kdf: 'scrypt',
        kdfparams: {
          dklen: 32,
          n: 262144,
          r: 1,
          p: 8,
          salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19',
        },
        mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
      },
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
      version: 3,
    }
    expect(decryptKeystoreV3(pbkdf2, 'testpassword')).toBe(key)
    // OpenSSL computes scrypt only for n < 2^(16·r): node:crypto cannot derive this one.
    expect(() => decryptKeystoreV3(JSON.stringify(scrypt), 'testpassword')).toThrow(
      /re-encrypt the key with r = 8/,
    )
  })

  it('decrypts a keystore written by ethers 5 (capitalized Crypto, a non-ASCII passphrase)', () => {
    const json =
      '{"address":"2c7536e3605d9c16a7a3d7b1898e529396a65c23","id":"98531170-7ddf-4a24-8aff-66659f020e54","version":3,"Crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"7c39f7ac71a4befe06a13a71a0cebb09"},"ciphertext":"d0019ff310ced30e7f89c42873132a908c47825a7dbc43c4e3d3493f9b167788","kdf":"scrypt","kdfparams":{"salt":"b9c434654c1023fb0a3f9f9edc9ec807b06baaae1b2b0377d53a309d6402f4f7","n":1024,"dklen":32,"p":1,"r":8},"mac":"78ac08cae650674b10b2625d810224dc0c7c3859620430b3ca5f0d59362b2482"}}'
    expect(decryptKeystoreV3(json, 'pässwörd')).toBe(PK)
    // The same passphrase typed in decomposed form: ethers normalized it to NFKC before deriving.
    expect(decryptKeystoreV3(json, 'pässwörd'.normalize('NFD'))).toBe(PK)
  })

  it('loads a scrypt and a pbkdf2 keystore written with node:crypto, with or without the address', () => {
    const address = privateKeyToAddress(PK)
    expect(load(encrypt(PK, PASS, 'scrypt')).address).toBe(address)
    expect(load(encrypt(PK, PASS, 'pbkdf2')).address).toBe(address)
    const { address: _, ...anonymous } = encrypt(PK, PASS, 'scrypt')
    expect(load(anonymous).address).toBe(address)
    const prefixed = encrypt(PK, PASS, 'pbkdf2')
    prefixed.crypto.mac = `0x${prefixed.crypto.mac}`
    prefixed.address = `0x${prefixed.address}`
    expect(load(prefixed).address).toBe(address)
  })

  it('refuses a wrong passphrase without showing it, the key or the ciphertext', () => {
    const ks = encrypt(PK, PASS, 'scrypt')
    const error = refused(() => load(ks, 'hunter2-wrong-passphrase'), 'wrong-passphrase', [
      'hunter2-wrong-passphrase',
      ks.crypto.ciphertext,
    ])
    expect(error.message).toMatch(/MAC does not match/)
    expect(error.message).toContain(dir)
  })

  it('refuses a tampered MAC or ciphertext', () => {
    const mac = encrypt(PK, PASS, 'pbkdf2')
    mac.crypto.mac = `${mac.crypto.mac.slice(0, -1)}${mac.crypto.mac.endsWith('0') ? '1' : '0'}`
    refused(() => load(mac), 'wrong-passphrase', [mac.crypto.ciphertext])
    const ct = encrypt(PK, PASS, 'scrypt')
    // Flip the last byte (setting it to a constant left it unchanged once in 256 random IVs).
    const last = Number.parseInt(ct.crypto.ciphertext.slice(-2), 16) ^ 0xff
    ct.crypto.ciphertext = `${ct.crypto.ciphertext.slice(0, -2)}${last.toString(16).padStart(2, '0')}`
    refused(() => load(ct), 'wrong-passphrase', [ct.crypto.ciphertext])
  })

  it("refuses a key that is not the file's address", () => {
    const ks = encrypt(PK, PASS, 'scrypt')
    ks.address = '00000000000000000000000000000000000000aa'
    expect(refused(() => load(ks), 'address-mismatch').message).toContain(ks.address)
  })

  it('refuses malformed files and unsupported or unbounded parameters before deriving anything', () => {
    const base = () => encrypt(PK, PASS, 'scrypt')
    const edit = (f: (k: Keystore) => void) => {
      const k = base()
      f(k)
      return k
    }
    const started = Date.now()
    refused(() => load(`{"crypto": {"ciphertext": "${PK.slice(2)}"`), 'keystore-format')
    refused(() => load('[]'), 'keystore-format')
    refused(() => load(edit((k) => (k.version = 1))), 'keystore-format')
    refused(() => load(edit((k) => (k.crypto.cipher = 'aes-128-cbc'))), 'keystore-unsupported')
    refused(() => load(edit((k) => (k.crypto.kdf = 'argon2'))), 'keystore-unsupported')
    refused(() => load(edit((k) => (k.crypto.kdfparams.n = 1000))), 'keystore-unsupported')
    refused(() => load(edit((k) => (k.crypto.kdfparams.n = 2 ** 30))), 'keystore-unsupported')
    refused(() => load(edit((k) => (k.crypto.kdfparams.p = 1_000_000))), 'keystore-unsupported')
    refused(() => load(edit((k) => (k.crypto.kdfparams.dklen = 16))), 'keystore-unsupported')
    refused(() => load(edit((k) => (k.crypto.cipherparams.iv = 'abcd'))), 'keystore-format')
    refused(() => load(edit((k) => (k.crypto.ciphertext = 'zz'))), 'keystore-format')
    const pbkdf2 = encrypt(PK, PASS, 'pbkdf2')
    pbkdf2.crypto.kdfparams.prf = 'hmac-sha512'
    refused(() => load(pbkdf2), 'keystore-unsupported')
    pbkdf2.crypto.kdfparams = { ...pbkdf2.crypto.kdfparams, prf: 'hmac-sha256', c: 2 ** 40 }
    refused(() => load(pbkdf2), 'keystore-unsupported')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('refuses configurations that are not exactly one source with its passphrase', () => {
    const file = write(encrypt(PK, PASS, 'scrypt'))
    const env = { K: PK, P: PASS }
    refused(() => loadVetoKey({ env }), 'config')
    refused(() => loadVetoKey({ env, keyEnv: 'K', keystoreFile: file, passphraseEnv: 'P' }), 'config')
    refused(() => loadVetoKey({ env, keyEnv: 'K', passphraseEnv: 'P' }), 'config')
    refused(() => loadVetoKey({ env, keystoreFile: file }), 'config')
    refused(() => loadVetoKey({ env: {}, keystoreFile: file, passphraseEnv: 'P' }), 'config')
    refused(() => loadVetoKey({ env: { P: '' }, keystoreFile: file, passphraseEnv: 'P' }), 'config')
    const missing = refused(
      () => loadVetoKey({ env, keystoreFile: join(dir, 'nope.json'), passphraseEnv: 'P' }),
      'keystore-read',
    )
    expect((missing.cause as { code?: string }).code).toBe('ENOENT')
    expect(loadVetoKey({ env, keystoreFile: file, passphraseEnv: 'P' }).address).toBe(privateKeyToAddress(PK))
  })
})

describe('the key from the environment', () => {
  it('loads a 0x-prefixed 32-byte hex key, tolerating surrounding whitespace', () => {
    expect(loadVetoKey({ env: { K: PK }, keyEnv: 'K' }).address).toBe(privateKeyToAddress(PK))
    expect(
      loadVetoKey({ env: { K: ` ${PK.toUpperCase().replace('0X', '0x')}\n` }, keyEnv: 'K' }).address,
    ).toBe(privateKeyToAddress(PK))
  })

  it('refuses a malformed key without showing it', () => {
    const n = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'
    const bad: Array<[string | undefined, VetoKeyErrorCode]> = [
      [undefined, 'config'],
      ['', 'config'],
      [PK.slice(2), 'key-format'],
      [PK.slice(0, -2), 'key-format'],
      [`${PK}00`, 'key-format'],
      [`${PK.slice(0, -1)}g`, 'key-format'],
      [`0x${'0'.repeat(64)}`, 'key-format'],
      [`0x${n}`, 'key-format'],
      [`${PK} ${PK}`, 'key-format'],
    ]
    for (const [value, code] of bad) {
      const env: NodeJS.ProcessEnv = value === undefined ? {} : { K: value }
      const error = refused(
        () => loadVetoKey({ env, keyEnv: 'K' }),
        code,
        value ? [value, value.slice(2, 40)] : [],
      )
      expect(error.message).toContain('K')
    }
  })

  it('keeps the private key out of JSON, util.inspect and the property list', () => {
    const key = loadVetoKey({ env: { K: PK }, keyEnv: 'K' })
    const address = privateKeyToAddress(PK)
    expect(JSON.parse(JSON.stringify(key))).toEqual({ address })
    for (const shown of [
      inspect(key, { showHidden: true, depth: Infinity, getters: true }),
      JSON.stringify(key),
      String(Object.entries(key)),
    ]) {
      expect(shown.toLowerCase()).not.toContain(PK.slice(2))
    }
    expect(Reflect.ownKeys(key)).toEqual(['address'])
    expect(Object.isFrozen(key)).toBe(true)
    expect(structuredClone(key)).toEqual({ address })
  })
})
