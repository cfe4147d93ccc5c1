import { encodeFunctionData, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { packMultiSend } from '../../src/model/multisend.js'
import { BUILTIN_ABIS } from '../../src/verify/abis.js'
import { checkClaimedDecoding } from '../../src/verify/claims.js'
import { DEFAULT_LIMITS, decodeCallTree } from '../../src/verify/decode.js'
import { createFunctionRegistry } from '../../src/verify/function-registry.js'
import { ALICE, BOB, erc20, MULTISEND_CALL_ONLY, SAFE, TOKEN } from '../helpers/build.js'

const registry = createFunctionRegistry(Object.entries(BUILTIN_ABIS).map(([name, abi]) => ({ name, abi })))
const tree = (data: Hex, to = TOKEN) =>
  decodeCallTree({ from: SAFE, to, value: 0n, data, operation: 0 }, registry, DEFAULT_LIMITS)
const transfer = (to: string, amount: bigint) =>
  encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [to as Hex, amount] })
const claimTransfer = (to: string, value: string) => ({
  method: 'transfer',
  parameters: [
    { name: 'to', type: 'address', value: to },
    { name: 'value', type: 'uint256', value },
  ],
})

describe('checkClaimedDecoding', () => {
  it('accepts a claim that encodes to exactly the calldata', () => {
    expect(checkClaimedDecoding(tree(transfer(ALICE, 5n)), claimTransfer(ALICE, '5'))).toEqual([
      {
        path: '0',
        status: 'match',
        detail: 'calldata is exactly transfer(address,uint256) with the claimed values',
      },
    ])
  })

  it('names the argument a lying claim changes', () => {
    const [check] = checkClaimedDecoding(tree(transfer(BOB, 5n)), claimTransfer(ALICE, '5'))
    expect(check?.status).toBe('mismatch')
    expect(check?.detail).toBe(
      `arguments differ from the calldata: to: claimed ${ALICE.toLowerCase()}, actual ${BOB.toLowerCase()}`,
    )
  })

  it('catches a claim of another function', () => {
    const approve = encodeFunctionData({ abi: erc20, functionName: 'approve', args: [BOB, 2n ** 256n - 1n] })
    const [check] = checkClaimedDecoding(tree(approve), claimTransfer(BOB, '5'))
    expect(check).toMatchObject({ status: 'mismatch' })
    expect(check?.detail).toMatch(/calls approve\(address,uint256\)/)
  })

  it('catches a claim for empty calldata and bytes appended after the arguments', () => {
    expect(checkClaimedDecoding(tree('0x'), claimTransfer(BOB, '1'))[0]?.status).toBe('mismatch')
    const [check] = checkClaimedDecoding(tree(`${transfer(BOB, 1n)}00ff` as Hex), claimTransfer(BOB, '1'))
    expect(check?.detail).toBe('calldata carries 2 bytes beyond what the claim encodes')
  })

  it.each([
    ['not an object', 'transfer'],
    ['no method', { parameters: [] }],
    ['a bad value', claimTransfer('not-an-address', '1')],
    ['a non-numeric amount', claimTransfer(BOB, 'lots')],
  ])('reports a malformed claim: %s', (_name, claim) => {
    expect(checkClaimedDecoding(tree(transfer(BOB, 1n)), claim)[0]?.status).toBe('malformed')
  })

  it('checks each MultiSend entry and its own dataDecoded', () => {
    const entries = [
      {
        operation: 0,
        to: TOKEN,
        value: '0',
        data: transfer(BOB, 1n),
        dataDecoded: claimTransfer(ALICE, '1'),
      },
      { operation: 0, to: ALICE, value: '3', data: null, dataDecoded: null },
    ]
    const packed = packMultiSend([
      { operation: 0, to: TOKEN, value: 0n, data: transfer(BOB, 1n) },
      { operation: 0, to: ALICE, value: 3n, data: '0x' },
    ])
    const data = encodeFunctionData({
      abi: BUILTIN_ABIS.multisend ?? [],
      functionName: 'multiSend',
      args: [packed],
    })
    const claim = (valueDecoded: unknown) => ({
      method: 'multiSend',
      parameters: [{ name: 'transactions', type: 'bytes', value: packed, valueDecoded }],
    })
    // The outer claim is true; the first entry's dataDecoded lies about the recipient.
    expect(
      checkClaimedDecoding(tree(data, MULTISEND_CALL_ONLY), claim(entries)).map((c) => [c.path, c.status]),
    ).toEqual([
      ['0', 'match'],
      ['0.0', 'mismatch'],
    ])
    expect(
      checkClaimedDecoding(tree(data, MULTISEND_CALL_ONLY), claim(entries.slice(0, 1))).map((c) => c.detail),
    ).toContain('claims 1 calls in the MultiSend but the calldata packs 2')
    const wrongTarget = [{ ...entries[0], to: BOB }, entries[1]]
    expect(checkClaimedDecoding(tree(data, MULTISEND_CALL_ONLY), claim(wrongTarget))[1]?.detail).toMatch(
      /entry 0: to .* ≠/,
    )
  })

  it('keeps an unknown selector undecoded and the claimed signature as a claim, even when it encodes exactly', () => {
    const data = encodeFunctionData({
      abi: [
        {
          type: 'function',
          name: 'stake',
          inputs: [{ name: 'amount', type: 'uint256' }],
          outputs: [],
          stateMutability: 'nonpayable',
        },
      ],
      functionName: 'stake',
      args: [42n],
    })
    const root = tree(data)
    expect(root.decodeError).toMatch(/unknown function selector/)
    const [check] = checkClaimedDecoding(root, {
      method: 'stake',
      parameters: [{ name: 'amount', type: 'uint256', value: '42' }],
    })
    expect(check?.status).toBe('unconfirmed')
    expect(root.decodeError).toMatch(/unknown function selector/)
    expect(root.function).toBeUndefined()
    expect(root.claimedFunction).toMatchObject({ name: 'stake', abis: ['claimed, unverified'] })
  })
})
