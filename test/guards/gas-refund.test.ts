import guard from '../../guards/gas-refund.js'
import type { SafeTx } from '../../src/model/safe.js'
import { ALICE, inspectOffline, source, TOKEN } from '../helpers/build.js'
import { guardTester } from '../helpers/guard-tester.js'

const tx = (fields: Partial<SafeTx>) => () => inspectOffline(source(fields))

guardTester(guard, {
  valid: [
    { name: 'no refund', run: tx({}) },
    {
      name: 'gas token set but gasPrice 0 (nothing is paid)',
      run: tx({ gasToken: TOKEN, refundReceiver: ALICE }),
    },
  ],
  invalid: [
    {
      name: 'refund paid in a token',
      run: tx({ gasPrice: 1n, gasToken: TOKEN, baseGas: 10n ** 6n }),
      expect: ['gas-refund:high'],
    },
    {
      name: 'refund sent to a chosen receiver',
      run: tx({ gasPrice: 50n, refundReceiver: ALICE }),
      expect: ['gas-refund:high'],
    },
    {
      name: 'a small native refund to the executor',
      run: tx({ gasPrice: 10n ** 9n, baseGas: 50_000n }),
      expect: ['refund-to-executor:medium'],
    },
    {
      name: 'a native refund whose baseGas drains the Safe into the executor',
      run: tx({ gasPrice: 10n ** 13n, baseGas: 10n ** 7n }),
      expect: ['large-refund-to-executor:high'],
    },
  ],
})
