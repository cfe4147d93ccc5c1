import guard from '../../guards/nonce-competition.js'
import { inspectSafeTransaction } from '../../src/pipeline.js'
import type { ServiceTx } from '../../src/sources/tx-json.js'
import { BOB, runtime, SAFE, source } from '../helpers/build.js'
import { guardTester } from '../helpers/guard-tester.js'

const transfer = source({ to: BOB, value: 5n, nonce: 3n })
const otherTransfer = source({ to: BOB, value: 6n, nonce: 3n })
const rejection = source({ to: SAFE, nonce: 3n })

const run = (self: ServiceTx, all: ServiceTx[]) => () =>
  inspectSafeTransaction(runtime(), { source: self, chainId: 1, safeVersion: '1.4.1', sameNonce: all })

guardTester(guard, {
  valid: [{ name: 'alone at its nonce', run: run(transfer, [transfer]) }],
  invalid: [
    {
      name: 'two different transactions',
      run: run(transfer, [transfer, otherTransfer]),
      expect: ['competing-transactions:medium'],
    },
    {
      name: 'a transaction and its rejection',
      run: run(transfer, [transfer, rejection]),
      expect: ['competing-transactions:info'],
    },
    {
      name: 'the rejection itself',
      run: run(rejection, [transfer, rejection]),
      expect: ['competing-transactions:info'],
    },
  ],
})
