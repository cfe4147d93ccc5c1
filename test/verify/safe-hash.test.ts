import { calculateSafeTransactionHash } from '@safe-global/protocol-kit'
import { zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import { safeTxHashes, safeTxTypeHash } from '../../src/model/safe-hash.js'
import { KNOWN_SAFE_VERSIONS, parseSafeVersion } from '../../src/model/safe-version.js'
import { ALICE, safeTx, TOKEN } from '../helpers/build.js'

describe('safeTxHashes', () => {
  // Published in safe-eth-py's tests (test_safe_tx.py): the same fields on a pre-1.0 (`dataGas`)
  // and a 1.0.0 Safe, as a CALL and as a CREATE (operation 2, legacy Safes only).
  const legacy = [
    [
      {
        to: '0x5AC255889882aaB35A2aa939679E3F3d4Cea221E',
        value: 5000000n,
        data: '0x00',
        operation: 0,
        safeTxGas: 50000n,
        baseGas: 100n,
        gasPrice: 10000n,
        nonce: 67n,
      },
      '0.1.0',
      '0xc9d69a2350aede7978fdee58e702647e4bbdc82168577aa4a43b66ad815c6d1a',
    ],
    [
      {
        to: '0x5AC255889882aaB35A2aa939679E3F3d4Cea221E',
        value: 5000000n,
        data: '0x00',
        operation: 0,
        safeTxGas: 50000n,
        baseGas: 100n,
        gasPrice: 10000n,
        nonce: 67n,
      },
      '1.0.0',
      '0x7c60341f3e1b4483575f38e84e97d6b332a2dd55b9290f39e6e26eef29a04fe7',
    ],
    [
      {
        to: zeroAddress,
        value: 80000000n,
        data: '0x562944',
        operation: 2,
        safeTxGas: 54522n,
        baseGas: 773n,
        gasPrice: 22000000n,
        nonce: 257000n,
      },
      '0.1.0',
      '0x8ca8db91d72b379193f6e229eb2dff0d0621b6ef452d90638ee3206e9b7349b3',
    ],
    [
      {
        to: zeroAddress,
        value: 80000000n,
        data: '0x562944',
        operation: 2,
        safeTxGas: 54522n,
        baseGas: 773n,
        gasPrice: 22000000n,
        nonce: 257000n,
      },
      '1.0.0',
      '0xf585279fd867c94738096f4eab964e9e202014d2f0d5155d751099ad85cbe504',
    ],
  ] as const
  it.each(legacy)("reproduces safe-eth-py's legacy vector %#", (fields, version, expected) => {
    const tx = safeTx({ safe: '0x692a70D2e424a56D2C6C27aA97D1a86395877b3A', ...fields })
    // Before 1.3.0 the domain has no chain id: any chain gives the same hash.
    expect(safeTxHashes(version, 1, tx).safeTxHash).toBe(expected)
    expect(safeTxHashes(version, 100, tx).safeTxHash).toBe(expected)
  })

  it('reproduces the published Sepolia hashes', () => {
    const tx = safeTx({
      safe: '0x657ff0D4eC65D82b2bC1247b0a558bcd2f80A0f1',
      to: '0x255C3912f91eF11bFDadd405F13144a823Da8cc5',
      value: 100000000000000000n,
      nonce: 4n,
    })
    expect(safeTxHashes('1.4.1', 11155111, tx)).toEqual({
      domainHash: '0x611379c19940caee095cdb12bebe6a9fa9abb74cdb1fbd7377c49a1f198dc24f',
      messageHash: '0x565bba8b51924ffa64953596d0a2dd5c2cad39649f7de0bf2c8dbc903bd03258',
      safeTxHash: '0xcb8bbe7bf8f8a1f3f57658e450d07d4422356ac042d96a87ba425b19e67a78a1',
    })
  })

  // protocol-kit is Safe's own, independent implementation of the version rules.
  const cases = [
    safeTx({ to: TOKEN, data: '0xa9059cbb00', nonce: 7n }),
    safeTx({
      value: 1n,
      operation: 1,
      safeTxGas: 21000n,
      baseGas: 5000n,
      gasPrice: 3n,
      gasToken: TOKEN,
      refundReceiver: ALICE,
      nonce: 2n ** 40n,
    }),
  ]
  for (const version of ['1.0.0', '1.1.1', '1.2.0', '1.3.0', '1.4.1', '1.5.0']) {
    it(`agrees with protocol-kit for Safe ${version}`, () => {
      for (const tx of cases) {
        const expected = calculateSafeTransactionHash(
          tx.safe,
          {
            to: tx.to,
            value: tx.value.toString(),
            data: tx.data,
            operation: tx.operation as 0 | 1,
            safeTxGas: tx.safeTxGas.toString(),
            baseGas: tx.baseGas.toString(),
            gasPrice: tx.gasPrice.toString(),
            gasToken: tx.gasToken,
            refundReceiver: tx.refundReceiver,
            nonce: Number(tx.nonce),
          },
          version,
          10n,
        )
        expect(safeTxHashes(version, 10, tx).safeTxHash).toBe(expected)
      }
    })
  }

  it('drops the chain id from the domain before 1.3.0 and keeps it from 1.3.0 on', () => {
    const tx = safeTx()
    expect(safeTxHashes('1.2.0', 1, tx).domainHash).toBe(safeTxHashes('1.2.0', 137, tx).domainHash)
    expect(safeTxHashes('1.3.0', 1, tx).domainHash).not.toBe(safeTxHashes('1.3.0', 137, tx).domainHash)
  })

  it('uses the dataGas typehash before 1.0.0', () => {
    expect(safeTxTypeHash('0.1.0')).toBe('0x14d461bc7412367e924637b363c7bf29b8f47e2f84869f4426e5633d8af47b20')
    expect(safeTxTypeHash('1.0.0')).toBe('0xbb8310d486368db6bd6f849402fdd73ad53d316b5a4b2644ad6efe0f941286d8')
    expect(safeTxHashes('0.1.0', 1, safeTx()).messageHash).not.toBe(
      safeTxHashes('1.0.0', 1, safeTx()).messageHash,
    )
  })
})

describe('parseSafeVersion', () => {
  it.each([
    ['1.3.0', { version: '1.3.0', l2: false }],
    ['1.3.0+L2', { version: '1.3.0', l2: true }],
    ['v1.4.1', { version: '1.4.1', l2: false }],
    [' 1.5.0-l2 ', { version: '1.5.0', l2: true }],
  ])('accepts %s', (raw, expected) => expect(parseSafeVersion(raw)).toEqual(expected))

  it.each(['1.6.0', '1.4.0', '2', 'latest', '', '1.3.0+L3'])('rejects %j with the supported list', (raw) => {
    expect(() => parseSafeVersion(raw)).toThrow(KNOWN_SAFE_VERSIONS.join(', '))
  })
})
