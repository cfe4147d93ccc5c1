import { encodeErrorResult, getAddress, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { decodeRevert, revertOf } from '../../src/model/revert.js'
import { custosGuardAbi } from '../../src/respond/guard/contract.js'

const abi = parseAbi([
  'error Error(string)',
  'error Panic(uint256)',
  'error OwnableUnauthorizedAccount(address account)',
  'error Mystery(uint256)',
])

describe('decodeRevert', () => {
  it.each([
    [
      'a Safe code, named',
      encodeErrorResult({ abi, errorName: 'Error', args: ['GS026'] }),
      'GS026: invalid owner provided (signatures not from owners, or not in ascending order)',
    ],
    [
      'a plain message',
      encodeErrorResult({ abi, errorName: 'Error', args: ['ERC20: transfer amount exceeds balance'] }),
      'ERC20: transfer amount exceeds balance',
    ],
    [
      'a panic',
      encodeErrorResult({ abi, errorName: 'Panic', args: [0x11n] }),
      'Panic(0x11): arithmetic overflow or underflow',
    ],
    [
      'a known custom error',
      encodeErrorResult({
        abi,
        errorName: 'OwnableUnauthorizedAccount',
        args: ['0x000000000000000000000000000000000000dEaD'],
      }),
      'OwnableUnauthorizedAccount(0x000000000000000000000000000000000000dEaD)',
    ],
    [
      'an unknown custom error, by selector',
      encodeErrorResult({ abi, errorName: 'Mystery', args: [1n] }),
      /^custom error 0x[0-9a-f]{8} \(36 bytes\)$/,
    ],
    ['no data', '0x', undefined],
  ] as const)('decodes %s', (_name, data, expected) => {
    const out = decodeRevert(data as `0x${string}`)
    if (expected instanceof RegExp) expect(out).toMatch(expected)
    else expect(out).toBe(expected)
  })

  it.each([
    'NotAllowed',
    'CancelledTx',
    'GuardChangeNotCleared',
    'ReconfigureNotCleared',
    'HookMismatch',
    'ModuleNotAllowed',
    'DelegateCallForbidden',
  ] as const)('names the custos Guard refusal %s as the contract declares it', (name) => {
    const error = custosGuardAbi.find((i) => i.type === 'error' && i.name === name)
    if (error?.type !== 'error') throw new Error(`the guard's ABI has no error ${name}`)
    const args = error.inputs.map((i) =>
      i.type === 'address' ? getAddress(`0x${'ab'.repeat(20)}`) : `0x${'cd'.repeat(32)}`,
    )
    const data = encodeErrorResult({ abi: [error], errorName: name, args } as never)
    expect(decodeRevert(data)).toBe(`${name}(${args.join(', ')})`)
  })
})

describe('revertOf', () => {
  const data = encodeErrorResult({
    abi,
    errorName: 'OwnableUnauthorizedAccount',
    args: ['0x000000000000000000000000000000000000dEaD'],
  })

  it('finds the revert payload anywhere in the chain of causes and names it', () => {
    const node = Object.assign(new Error('execution reverted'), { data })
    const outer = new Error('estimate failed', { cause: new Error('wrapped', { cause: node }) })
    expect(revertOf(outer)).toBe('OwnableUnauthorizedAccount(0x000000000000000000000000000000000000dEaD)')
  })

  it.each([
    ['a transport failure', Object.assign(new Error('fetch failed'), { code: 'ECONNREFUSED' })],
    ['data that is not a payload', Object.assign(new Error('x'), { data: { message: 'no' } })],
    ['data shorter than a selector', Object.assign(new Error('x'), { data: '0x1234' })],
    ['not an error at all', 'boom'],
  ])('gives nothing for %s', (_name, error) => {
    expect(revertOf(error)).toBeUndefined()
  })
})
