import guard from '../../guards/contract-creation.js'
import type { SafeTx } from '../../src/model/safe.js'
import { inspectOffline, source } from '../helpers/build.js'
import { guardTester } from '../helpers/guard-tester.js'

const initCode = '0x6080604052348015600f57600080fd5b50603f80601d6000396000f3fe' as const
const on = (version: string, fields: Partial<SafeTx>) => () => inspectOffline(source(fields), {}, 1, version)

guardTester(guard, {
  valid: [
    { name: 'a CALL', run: on('1.0.0', { value: 1n }) },
    { name: 'a DELEGATECALL', run: on('0.1.0', { operation: 1 }) },
  ],
  invalid: [
    {
      name: 'CREATE on Safe 1.0.0',
      run: on('1.0.0', { operation: 2, data: initCode, value: 5n }),
      expect: ['contract-creation:high'],
    },
    {
      name: 'CREATE on Safe 0.1.0',
      run: on('0.1.0', { operation: 2, data: initCode }),
      expect: ['contract-creation:high'],
    },
    {
      // What the watch loop sees when a service lists one: reported, not skipped.
      name: 'CREATE on Safe 1.3.0, which cannot run it',
      run: on('1.3.0', { operation: 2, data: initCode }),
      expect: ['unsupported-operation:high'],
    },
  ],
})
