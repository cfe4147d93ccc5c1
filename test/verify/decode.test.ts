import { encodeFunctionData, type Hex, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { flattenCalls } from '../../src/model/calls.js'
import { packMultiSend, unpackMultiSend } from '../../src/model/multisend.js'
import { BUILTIN_ABIS } from '../../src/verify/abis.js'
import { DEFAULT_LIMITS, decodeCallTree } from '../../src/verify/decode.js'
import { createFunctionRegistry } from '../../src/verify/function-registry.js'
import { ALICE, BOB, erc20, MULTISEND, multiSend, SAFE, TOKEN } from '../helpers/build.js'

const registry = createFunctionRegistry(Object.entries(BUILTIN_ABIS).map(([name, abi]) => ({ name, abi })))
const decode = (data: Hex, operation: 0 | 1 = 0, limits = DEFAULT_LIMITS, to = TOKEN) =>
  decodeCallTree({ from: SAFE, to, value: 0n, data, operation }, registry, limits)
const transfer = (amount: bigint) =>
  encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ALICE, amount] })

describe('decodeCallTree', () => {
  it('decodes a known function with named arguments and the ABIs that know it', () => {
    const node = decode(
      encodeFunctionData({ abi: erc20, functionName: 'transferFrom', args: [SAFE, BOB, 5n] }),
    )
    expect(node.function?.signature).toBe('transferFrom(address,address,uint256)')
    expect(node.function?.abis).toEqual(['erc20', 'erc721'])
    expect(node.function?.args.map((a) => a.value)).toEqual([SAFE, BOB, 5n])
  })

  it('unpacks MultiSend recursively, with who each inner call runs as', () => {
    const inner = multiSend([{ to: TOKEN, data: transfer(1n) }])
    const data = multiSend([
      { to: BOB, value: 10n },
      { to: MULTISEND, operation: 1, data: inner },
    ])
    const root = decode(data, 1, DEFAULT_LIMITS, MULTISEND)
    const all = flattenCalls(root)
    expect(all.map((c) => [c.path, c.to, c.operation, c.from])).toEqual([
      ['0', MULTISEND, 1, SAFE],
      ['0.0', BOB, 0, SAFE],
      ['0.1', MULTISEND, 1, SAFE],
      ['0.1.0', TOKEN, 0, SAFE],
    ])
    expect(all[3]?.function?.name).toBe('transfer')
    expect(root.nesting).toBe('multisend')
  })

  it('makes MultiSend inner calls come from MultiSend itself when it is CALLed', () => {
    const root = decode(multiSend([{ to: TOKEN, data: transfer(1n) }]), 0, DEFAULT_LIMITS, MULTISEND)
    expect(root.calls?.[0]?.from).toBe(MULTISEND)
  })

  it('reports a MultiSend whose declared data length lies, keeping what parsed', () => {
    const good = packMultiSend([{ operation: 0, to: BOB, value: 1n, data: '0x' }])
    const lying =
      `${good}00${ALICE.slice(2)}${'0'.repeat(64)}${(1000).toString(16).padStart(64, '0')}abcd` as Hex
    const data = encodeFunctionData({
      abi: parseAbi(['function multiSend(bytes)']),
      functionName: 'multiSend',
      args: [lying],
    })
    const root = decode(data, 1, DEFAULT_LIMITS, MULTISEND)
    expect(root.decodeError).toMatch(/declares 1000 bytes of data but only 2 remain/)
    expect(root.calls).toHaveLength(1)
  })

  it.each([
    ['an unknown operation', `02${BOB.slice(2)}${'0'.repeat(128)}`, /operation 2/],
    ['a truncated header', `00${BOB.slice(2)}`, /truncated entry at byte 0/],
  ])('reports a MultiSend with %s', (_name, packed, error) => {
    const data = encodeFunctionData({
      abi: parseAbi(['function multiSend(bytes)']),
      functionName: 'multiSend',
      args: [`0x${packed}` as Hex],
    })
    expect(decode(data, 1, DEFAULT_LIMITS, MULTISEND).decodeError).toMatch(error)
  })

  it('stops at the depth limit instead of recursing without end', () => {
    let data = transfer(1n)
    for (let i = 0; i < 40; i++) data = multiSend([{ to: MULTISEND, operation: 1, data }])
    const start = performance.now()
    const root = decode(data, 1, { ...DEFAULT_LIMITS, maxDepth: 8 }, MULTISEND)
    expect(performance.now() - start).toBeLessThan(2000)
    const deepest = flattenCalls(root).find((c) => c.decodeError)
    expect(deepest?.decodeError).toMatch(/deeper than 8 levels/)
    expect(flattenCalls(root).length).toBeLessThanOrEqual(9)
  })

  it('stops at the call-count limit', () => {
    const data = multiSend(Array.from({ length: 50 }, () => ({ to: TOKEN, data: transfer(1n) })))
    const root = decode(data, 1, { ...DEFAULT_LIMITS, maxCalls: 10 }, MULTISEND)
    expect(root.decodeError).toMatch(/more than 10 calls/)
    expect(flattenCalls(root)).toHaveLength(10)
  })

  it('does not decode calldata over the size limit', () => {
    const data = `0xa9059cbb${'00'.repeat(2048)}` as Hex
    expect(decode(data, 0, { ...DEFAULT_LIMITS, maxCalldataBytes: 1024 }).decodeError).toMatch(
      /over the 1024-byte limit/,
    )
  })

  it('reports unknown selectors, short data and bytes hidden after the arguments', () => {
    expect(decode('0xdeadbeef').decodeError).toBe('unknown function selector 0xdeadbeef')
    expect(decode('0xa905').decodeError).toMatch(/shorter than a 4-byte function selector/)
    const padded = `${transfer(1n)}cafe` as Hex
    const node = decode(padded)
    expect(node.function?.name).toBe('transfer')
    expect(node.decodeWarning).toBe('2 bytes after the ABI-encoded arguments')
  })

  it('decodes the call inside a nested Safe execTransaction', () => {
    const exec = encodeFunctionData({
      abi: BUILTIN_ABIS.safe ?? [],
      functionName: 'execTransaction',
      args: [TOKEN, 0n, transfer(7n), 1, 0n, 0n, 0n, ALICE, ALICE, '0x'],
    })
    const root = decode(exec, 0, DEFAULT_LIMITS, BOB)
    expect(root.nesting).toBe('safe-exec')
    expect(root.calls?.[0]).toMatchObject({
      from: BOB,
      to: TOKEN,
      operation: 1,
      function: { name: 'transfer' },
    })
  })

  it('round-trips packMultiSend and unpackMultiSend', () => {
    const calls = [
      { operation: 0 as const, to: BOB, value: 3n, data: '0x' as Hex },
      { operation: 1 as const, to: ALICE, value: 0n, data: '0x1234' as Hex },
    ]
    expect(unpackMultiSend(packMultiSend(calls), 100)).toEqual({ ok: true, calls })
  })
})
