import fc from 'fast-check'
import { encodeFunctionData, type Hex, maxUint256, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { packMultiSend } from '../../src/model/multisend.js'
import { type Level, levelRank } from '../../src/model/severity.js'
import { ALICE, BOB, erc20, MULTISEND_CALL_ONLY, multiSend, SAFE, TOKEN } from '../helpers/build.js'
import { cli } from './run.js'

// The invariant of every claim (a transaction service's dataDecoded): it may raise the risk of a
// transaction, never lower it below what the same bytes get without it. Checked through the CLI
// over generated claims: true ones, near misses (a type with a space, a capital, another value),
// colliding names for unknown selectors, and noise.

const unknown = parseAbi(['function stake(uint256 amount)', 'function sweep(address to, bool all)'])
const stake = encodeFunctionData({ abi: unknown, functionName: 'stake', args: [42n] })
const sweep = encodeFunctionData({ abi: unknown, functionName: 'sweep', args: [BOB, true] })
const pay = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [BOB, 1000n] })
const approve = encodeFunctionData({ abi: erc20, functionName: 'approve', args: [BOB, maxUint256] })
const entries = [
  { operation: 0 as const, to: TOKEN, value: 0n, data: pay },
  { operation: 0 as const, to: TOKEN, value: 0n, data: stake },
]
const packed = packMultiSend(entries)

type Base = { name: string; to: Hex; data: Hex; operation: 0 | 1; value?: string; truth: unknown }
const param = (name: string, type: string, value: unknown, extra: object = {}) => ({
  name,
  type,
  value,
  ...extra,
})
const BASES: Base[] = [
  {
    name: 'a known transfer',
    to: TOKEN,
    data: pay,
    operation: 0,
    truth: {
      method: 'transfer',
      parameters: [param('to', 'address', BOB), param('value', 'uint256', '1000')],
    },
  },
  {
    name: 'an unlimited approval',
    to: TOKEN,
    data: approve,
    operation: 0,
    truth: {
      method: 'approve',
      parameters: [param('spender', 'address', BOB), param('amount', 'uint256', maxUint256.toString())],
    },
  },
  {
    name: 'an unknown selector',
    to: TOKEN,
    data: stake,
    operation: 0,
    truth: { method: 'stake', parameters: [param('amount', 'uint256', '42')] },
  },
  {
    name: 'an unknown selector, delegatecalled',
    to: TOKEN,
    data: sweep,
    operation: 1,
    truth: { method: 'sweep', parameters: [param('to', 'address', BOB), param('all', 'bool', true)] },
  },
  {
    name: 'a MultiSend of a transfer and an unknown call',
    to: MULTISEND_CALL_ONLY,
    data: multiSend(entries),
    operation: 1,
    truth: {
      method: 'multiSend',
      parameters: [
        param('transactions', 'bytes', packed, {
          valueDecoded: [
            { operation: 0, to: TOKEN, value: '0', data: pay, dataDecoded: null },
            {
              operation: 0,
              to: TOKEN,
              value: '0',
              data: stake,
              dataDecoded: { method: 'stake', parameters: [param('amount', 'uint256', '42')] },
            },
          ],
        }),
      ],
    },
  },
  { name: 'a plain ETH payment', to: BOB, data: '0x', operation: 0, value: '5', truth: undefined },
]

const txJson = (base: Base, dataDecoded: unknown) =>
  JSON.stringify({
    safe: SAFE,
    to: base.to,
    value: base.value ?? '0',
    data: base.data,
    operation: base.operation,
    safeTxGas: '0',
    baseGas: '0',
    gasPrice: '0',
    nonce: '0',
    ...(dataDecoded === undefined ? {} : { dataDecoded }),
  })
const levelOf = async (stdin: string): Promise<Level> => {
  const r = await cli(
    ['inspect', '--file', '-', '--chain-id', '1', '--safe-version', '1.4.1', '--format', 'json'],
    {
      stdin,
    },
  )
  if (r.code === 2) throw new Error(`inspect refused the input: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { risk: { level: Level } }).risk.level
}

// --- generated claims ---------------------------------------------------------------------------

const types = fc.oneof(
  fc.constantFrom('address', 'uint256', 'bool', 'bytes', 'string', 'uint8', 'bytes32', 'address[]', 'tuple'),
  fc.constantFrom('uint256 ', 'Uint256', 'uint\u200b256', ' address', 'uint', 'int256', 'note'),
  fc.string({ maxLength: 12 }),
)
const values = fc.oneof(
  fc.constantFrom<unknown>(BOB, ALICE, TOKEN, '1000', '42', '0', '1', true, false, maxUint256.toString()),
  fc.constantFrom<unknown>(null, [], {}, '0x', stake, pay, packed),
  fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map(String),
  fc.string({ maxLength: 20 }),
)
const names = fc.oneof(
  fc.constantFrom('transfer', 'approve', 'stake', 'sweep', 'multiSend', 'transferFrom', 'execTransaction'),
  fc.string({ maxLength: 10 }),
)
const anyParam = fc.record({
  name: fc.oneof(fc.constant('to'), fc.string({ maxLength: 6 })),
  type: types,
  value: values,
})
const noise = fc.record({ method: names, parameters: fc.array(anyParam, { maxLength: 4 }) })

/** A true claim changed in one place: the forms a lying or sloppy service actually sends. */
const nearMiss = (truth: unknown) => {
  const t = truth as { method: string; parameters: Array<Record<string, unknown>> } | undefined
  if (!t) return noise
  return fc.oneof(
    fc.constant(t),
    fc.record({ i: fc.nat(3), type: types }).map(({ i, type }) => ({
      ...t,
      parameters: t.parameters.map((p, j) => (j === i % t.parameters.length ? { ...p, type } : p)),
    })),
    fc.record({ i: fc.nat(3), value: values }).map(({ i, value }) => ({
      ...t,
      parameters: t.parameters.map((p, j) => (j === i % t.parameters.length ? { ...p, value } : p)),
    })),
    anyParam.map((extra) => ({ ...t, parameters: [...t.parameters, extra] })),
    names.map((method) => ({ ...t, method })),
    fc.constant({ ...t, parameters: t.parameters.slice(1) }),
  )
}

describe('a claim never lowers the risk', () => {
  it('level(with claim) >= level(without claim), over generated claims', async () => {
    const without = new Map<string, Level>()
    for (const b of BASES) without.set(b.name, await levelOf(txJson(b, undefined)))
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...BASES)
          .chain((base) => fc.tuple(fc.constant(base), fc.oneof(nearMiss(base.truth), noise, fc.anything()))),
        async ([base, claim]) => {
          const floor = without.get(base.name) as Level
          const level = await levelOf(txJson(base, claim))
          expect(levelRank(level), `${base.name}: ${JSON.stringify(claim)}`).toBeGreaterThanOrEqual(
            levelRank(floor),
          )
        },
      ),
      { numRuns: 300 },
    )
  }, 120_000)
})
