import { encodeFunctionData, type Hex, parseAbi, zeroHash } from 'viem'
import { expect } from 'vitest'
import guard from '../../guards/privileged-call.js'
import {
  ALICE,
  BOB,
  inspectOffline,
  MULTISEND_CALL_ONLY,
  multiSend,
  SAFE,
  source,
  TOKEN,
} from '../helpers/build.js'
import { guardTester, table } from '../helpers/guard-tester.js'

const abi = parseAbi([
  'function transferOwnership(address newOwner)',
  'function renounceOwnership()',
  'function grantRole(bytes32 role, address account)',
  'function revokeRole(bytes32 role, address account)',
  'function upgradeToAndCall(address newImplementation, bytes data)',
  'function changeProxyAdmin(address proxy, address newAdmin)',
])
const enc = (functionName: string, args: unknown[] = []): Hex =>
  encodeFunctionData({ abi, functionName, args } as never)
const MINTER = `0x${'9f'.repeat(32)}` as Hex
const book = { addressBook: [{ address: ALICE, name: 'Ops Safe' }] }

const cases: Array<{ name: string; data: Hex; expect: string[] }> = [
  {
    name: 'Radiant: transferOwnership to an unknown address',
    data: enc('transferOwnership', [BOB]),
    expect: ['control-to-unknown:critical'],
  },
  {
    name: 'transferOwnership to an address-book entry',
    data: enc('transferOwnership', [ALICE]),
    expect: ['privileged-call:high'],
  },
  {
    name: 'transferOwnership to the Safe itself',
    data: enc('transferOwnership', [SAFE]),
    expect: ['privileged-call:high'],
  },
  {
    name: 'renounceOwnership',
    data: enc('renounceOwnership'),
    expect: ['privileged-call:high'],
  },
  {
    name: 'DEFAULT_ADMIN_ROLE to an unknown address',
    data: enc('grantRole', [zeroHash, BOB]),
    expect: ['control-to-unknown:critical'],
  },
  {
    name: 'a minor role to an unknown address',
    data: enc('grantRole', [MINTER, BOB]),
    expect: ['privileged-call:high'],
  },
  {
    name: 'revokeRole',
    data: enc('revokeRole', [MINTER, ALICE]),
    expect: ['privileged-call:high'],
  },
  {
    name: 'upgradeToAndCall',
    data: enc('upgradeToAndCall', [BOB, '0x']),
    expect: ['privileged-call:high'],
  },
  {
    name: 'changeProxyAdmin to an unknown admin',
    data: enc('changeProxyAdmin', [TOKEN, BOB]),
    expect: ['control-to-unknown:critical'],
  },
]

const call = (data: Hex) => inspectOffline(source({ to: TOKEN, data }), book)
const { valid, invalid } = table(cases, (c) => call(c.data))

guardTester(guard, {
  valid: [
    ...valid,
    { name: 'an ordinary call', run: () => inspectOffline(source({ to: BOB, value: 1n }), book) },
  ],
  invalid: [
    ...invalid,
    {
      name: 'one inside a batch',
      run: () =>
        inspectOffline(
          source({
            to: MULTISEND_CALL_ONLY,
            operation: 1,
            data: multiSend([
              { to: BOB, value: 1n },
              { to: TOKEN, data: enc('transferOwnership', [BOB]) },
            ]),
          }),
          book,
        ),
      expect: ['control-to-unknown:critical'],
      also: ([f]) => expect(f?.path).toBe('0.1'),
    },
  ],
})
