import { describe, expect, it } from 'vitest'
import { inspectSafeTransaction } from '../../src/pipeline.js'
import type { ServiceTx } from '../../src/sources/tx-json.js'
import { BOB, codesOf, runtime, SAFE, source } from '../helpers/build.js'

const transfer = source({ to: BOB, value: 5n, nonce: 3n })
const otherTransfer = source({ to: BOB, value: 6n, nonce: 3n })
const rejection = source({ to: SAFE, nonce: 3n })

const run = (self: ServiceTx, all: ServiceTx[]) =>
  inspectSafeTransaction(runtime(), { source: self, chainId: 1, safeVersion: '1.4.1', sameNonce: all })

describe('nonce-competition', () => {
  it.each([
    { name: 'alone at its nonce', self: transfer, all: [transfer], expect: [] },
    {
      name: 'two different transactions',
      self: transfer,
      all: [transfer, otherTransfer],
      expect: ['nonce-competition/competing-transactions:medium'],
    },
    {
      name: 'a transaction and its rejection',
      self: transfer,
      all: [transfer, rejection],
      expect: ['nonce-competition/competing-transactions:info'],
    },
    {
      name: 'the rejection itself',
      self: rejection,
      all: [transfer, rejection],
      expect: ['nonce-competition/competing-transactions:info'],
    },
  ])('$name', async (c) => {
    expect(codesOf(await run(c.self, c.all), 'nonce-competition')).toEqual(c.expect)
  })
})
