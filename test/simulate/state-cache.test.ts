import { describe, expect, it } from 'vitest'
import { createStateCache, parseRead } from '../../src/simulate/state-cache.js'
import { accessListKeys, prestateKeys } from '../../src/simulate/touched.js'

const A = '0x8a791620dd6260079bf849dc5567adc3f2fdc318'
const SLOT1 = `0x${'0'.repeat(63)}1`

describe('the reads the relay can answer', () => {
  it.each([
    ['eth_getBalance', [A, '0xa'], { method: 'eth_getBalance', address: A, block: 10n }],
    [
      'eth_getCode',
      [A.toUpperCase().replace('0X', '0x'), { blockNumber: '0xa' }],
      { method: 'eth_getCode', address: A, block: 10n },
    ],
    [
      'eth_getStorageAt',
      [A, '0x1', '0xa'],
      { method: 'eth_getStorageAt', address: A, slot: SLOT1, block: 10n },
    ],
    [
      'eth_getStorageAt',
      [A, SLOT1, '0xa'],
      { method: 'eth_getStorageAt', address: A, slot: SLOT1, block: 10n },
    ],
    ['eth_getAccountInfo', [A, '0xa'], { method: 'eth_getAccountInfo', address: A, block: 10n }],
  ])('%s %j at a block number', (method, params, read) => {
    expect(parseRead(method, params)).toEqual(read)
  })

  it.each([
    ['a tag is not a fixed state', 'eth_getBalance', [A, 'latest']],
    ['a block hash is not cached', 'eth_getBalance', [A, { blockHash: `0x${'1'.repeat(64)}` }]],
    ['not an address', 'eth_getBalance', ['0x1234', '0xa']],
    ['not a slot', 'eth_getStorageAt', [A, 'zero', '0xa']],
    ['not a read', 'eth_call', [{ to: A }, '0xa']],
  ])('%s', (_why, method, params) => {
    expect(parseRead(method, params)).toBeUndefined()
  })
})

describe('the per-block cache', () => {
  it('answers what it was given at its block only, and drops it at a newer one', () => {
    const cache = createStateCache(1 << 20)
    const at = (block: bigint) => ({ method: 'eth_getStorageAt' as const, address: A, slot: SLOT1, block })
    cache.put(at(10n), '0x05')
    expect(cache.answer(at(10n))).toBe('0x05')
    expect(cache.answer(at(9n))).toBeUndefined()
    expect(cache.answer(at(11n))).toBeUndefined()
    expect(cache.block()).toBe(11n)
    expect(cache.answer(at(10n))).toBeUndefined()
  })

  it('serves eth_getAccountInfo only when balance, nonce and code are all known', () => {
    const cache = createStateCache(1 << 20)
    const r = (
      method: 'eth_getBalance' | 'eth_getTransactionCount' | 'eth_getCode' | 'eth_getAccountInfo',
    ) => ({
      method,
      address: A,
      block: 1n,
    })
    cache.put(r('eth_getBalance'), '0x1')
    cache.put(r('eth_getCode'), '0x')
    expect(cache.answer(r('eth_getAccountInfo'))).toBeUndefined()
    cache.put(r('eth_getTransactionCount'), '0x2')
    expect(cache.answer(r('eth_getAccountInfo'))).toEqual({ balance: '0x1', nonce: '0x2', code: '0x' })
    expect(cache.usedKeys()).toEqual([{ address: A }])
  })

  it('stops keeping values past its size bound', () => {
    const cache = createStateCache(10)
    const code = { method: 'eth_getCode' as const, address: A, block: 1n }
    cache.put(code, `0x${'60'.repeat(20)}`)
    cache.put({ ...code, address: `0x${'b'.repeat(40)}` }, '0x6001')
    expect(cache.answer(code)).toBeDefined()
    expect(cache.answer({ ...code, address: `0x${'b'.repeat(40)}` })).toBeUndefined()
  })
})

describe('what a call touches', () => {
  it('reads accounts and slots from a prestate trace', () => {
    expect(
      prestateKeys({
        [A.toUpperCase().replace('0X', '0x')]: { balance: '0x0', storage: { '0x01': '0x02' } },
      }),
    ).toEqual([{ address: A }, { address: A, slot: SLOT1 }])
    expect(prestateKeys(null)).toEqual([])
  })

  it('reads an access list, adding the sender and the callee it leaves out', () => {
    const from = `0x${'f'.repeat(40)}`
    expect(accessListKeys({ accessList: [{ address: A, storageKeys: [SLOT1] }] }, { from, to: A })).toEqual([
      { address: from },
      { address: A },
      { address: A },
      { address: A, slot: SLOT1 },
    ])
    expect(accessListKeys({ error: 'reverted' }, {})).toEqual([])
  })
})
