import { type Address, getAddress, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { packOwnerSignatures } from '../../src/respond/veto/guard.js'

// The owners' signatures custos passes to the guard's schedule: plain signatures of owners,
// ascending by owner as the Safe checks them, exactly `threshold` of them.

const A = getAddress('0x1000000000000000000000000000000000000001')
const B = getAddress('0x2000000000000000000000000000000000000002')
const C = getAddress('0x3000000000000000000000000000000000000003')
const STRANGER = getAddress('0x4000000000000000000000000000000000000004')
const sig = (byte: string, v = '1f'): Hex => `0x${byte.repeat(64)}${v}`

describe('packOwnerSignatures', () => {
  const owners: Address[] = [A, B, C]
  it.each([
    [
      'sorted by owner',
      [
        { owner: C, signature: sig('cc') },
        { owner: A, signature: sig('aa') },
      ],
      2n,
      `0x${sig('aa').slice(2)}${sig('cc').slice(2)}`,
    ],
    [
      'only threshold of them',
      [
        { owner: B, signature: sig('bb') },
        { owner: A, signature: sig('aa') },
        { owner: C, signature: sig('cc') },
      ],
      2n,
      `0x${sig('aa').slice(2)}${sig('bb').slice(2)}`,
    ],
    ['not enough', [{ owner: A, signature: sig('aa') }], 2n, undefined],
    [
      'a stranger does not count',
      [
        { owner: A, signature: sig('aa') },
        { owner: STRANGER, signature: sig('dd') },
      ],
      2n,
      undefined,
    ],
    [
      'a contract signature (v 0) is not packed',
      [
        { owner: A, signature: sig('aa') },
        { owner: B, signature: sig('bb', '00') },
      ],
      2n,
      undefined,
    ],
    [
      'a signature of another length is not packed',
      [
        { owner: A, signature: sig('aa') },
        { owner: B, signature: `${sig('bb')}00` as Hex },
      ],
      2n,
      undefined,
    ],
    [
      'one owner twice counts once',
      [
        { owner: A, signature: sig('aa') },
        { owner: A, signature: sig('ab') },
      ],
      2n,
      undefined,
    ],
    ['no owner named', [{ signature: sig('aa') }, { owner: B, signature: sig('bb') }], 2n, undefined],
  ] as const)('%s', (_name, confirmations, threshold, expected) => {
    expect(packOwnerSignatures(confirmations as never, owners, threshold)).toBe(expected)
  })
})
