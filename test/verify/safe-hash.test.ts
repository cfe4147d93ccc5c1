import { zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import { safeTxHashes } from '../../src/verify/safe-hash.js'
import { parseSafeVersion } from '../../src/verify/safe-version.js'

const tx = {
  safe: '0x657ff0D4eC65D82b2bC1247b0a558bcd2f80A0f1',
  to: '0x255C3912f91eF11bFDadd405F13144a823Da8cc5',
  value: 100000000000000000n,
  data: '0x',
  operation: 0,
  safeTxGas: 0n,
  baseGas: 0n,
  gasPrice: 0n,
  gasToken: zeroAddress,
  refundReceiver: zeroAddress,
  nonce: 4n,
} as const

describe('safeTxHashes', () => {
  it('reproduces the published Sepolia hashes', () => {
    expect(safeTxHashes('1.4.1', 11155111, tx)).toEqual({
      domainHash: '0x611379c19940caee095cdb12bebe6a9fa9abb74cdb1fbd7377c49a1f198dc24f',
      messageHash: '0x565bba8b51924ffa64953596d0a2dd5c2cad39649f7de0bf2c8dbc903bd03258',
      safeTxHash: '0xcb8bbe7bf8f8a1f3f57658e450d07d4422356ac042d96a87ba425b19e67a78a1',
    })
  })
})
