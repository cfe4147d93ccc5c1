// Hostile inputs: the CPU one `custos inspect` (offline, JSON output) takes to judge inputs built to
// make it work hard, each within the input size limit. The goal is under 2 s of CPU for any of them.
import { PassThrough } from 'node:stream'
import { encodeFunctionData, parseAbi } from 'viem'
import { run } from '../src/cli/main.js'
import { packMultiSend } from '../src/model/multisend.js'
import { round } from './stats.js'

export type InputRow = { input: string; megabytes: number; cpuMs: number; exitCode: number }

const abi = parseAbi([
  'function transfer(address to, uint256 amount)',
  'function multiSend(bytes transactions)',
])
const TO = '0x255C3912f91eF11bFDadd405F13144a823Da8cc5'
const base = {
  safe: '0x657ff0D4eC65D82b2bC1247b0a558bcd2f80A0f1',
  to: TO,
  value: '0',
  operation: 0,
  safeTxGas: 0,
  baseGas: 0,
  gasPrice: '0',
  nonce: 4,
}
// A valid EIP-712-style signature (of 0x11…11 by a throwaway key): each copy costs a full recovery
// unless custos bounds the work. Distinct ones vary r; not every r is a curve point.
const VALID =
  '0x52b3774c49bda26d458c0eed1e3fdb146c8c331c24bd508f6ce1effa20aec38158309bc5daaaa9ae7e6ac4087d3ae7972796ebfa6f5af696a1e1b105bab1dfa91c'
const ecdsa = (i: number) => ({ signature: `0x${(i + 1).toString(16).padStart(64, '7')}${'3'.repeat(64)}1b` })
const pay = encodeFunctionData({ abi, functionName: 'transfer', args: [TO, 5n] })
const claimPay = {
  method: 'transfer',
  parameters: [
    { name: 'to', type: 'address', value: TO },
    { name: 'value', type: 'uint256', value: '5' },
  ],
}

function inputs(): Array<[string, () => string]> {
  const entries = Array.from({ length: 7000 }, (_, i) => ({
    operation: 0 as const,
    to: `0x${(i + 1).toString(16).padStart(40, '0')}` as const,
    value: 0n,
    data: pay,
  }))
  const packed = packMultiSend(entries)
  return [
    [
      '5,000 duplicate confirmations',
      () =>
        JSON.stringify({
          ...base,
          confirmations: Array.from({ length: 5000 }, () => ({ signature: VALID })),
        }),
    ],
    [
      '5,000 distinct confirmations',
      () => JSON.stringify({ ...base, confirmations: Array.from({ length: 5000 }, (_, i) => ecdsa(i)) }),
    ],
    [
      '80,000 duplicate confirmations',
      () =>
        JSON.stringify({
          ...base,
          confirmations: Array.from({ length: 80_000 }, () => ({ signature: VALID })),
        }),
    ],
    ['7.9 MB of calldata', () => JSON.stringify({ ...base, data: `0xa9059cbb${'ab'.repeat(7_900_000)}` })],
    [
      'MultiSend of 7,000 transfers, each entry claimed',
      () =>
        JSON.stringify({
          ...base,
          to: '0x9641d764fc13c8B624c04430C7356C1C7C8102e2',
          operation: 1,
          data: encodeFunctionData({ abi, functionName: 'multiSend', args: [packed] }),
          dataDecoded: {
            method: 'multiSend',
            parameters: [
              {
                name: 'transactions',
                type: 'bytes',
                value: packed,
                valueDecoded: entries.map((e) => ({
                  operation: 0,
                  to: e.to,
                  value: '0',
                  data: e.data,
                  dataDecoded: claimPay,
                })),
              },
            ],
          },
        }),
    ],
    [
      'a claimed array of 3,000,000 values',
      () =>
        JSON.stringify({
          ...base,
          data: pay,
          dataDecoded: {
            method: 'transfer',
            parameters: [{ name: 'to', type: 'uint256[]', value: new Array(3_000_000).fill(0) }],
          },
        }),
    ],
    [
      'dataDecoded nested 3,000,000 deep',
      () =>
        `${JSON.stringify(base).slice(0, -1)},"dataDecoded":${'['.repeat(3_000_000)}${']'.repeat(3_000_000)}}`,
    ],
  ]
}

export async function inputsBench(): Promise<InputRow[]> {
  const rows: InputRow[] = []
  for (const [input, build] of inputs()) {
    const text = build()
    const stdin = new PassThrough()
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    stdout.resume()
    stderr.resume()
    stdin.end(text)
    const started = process.cpuUsage()
    const exitCode = await run(
      ['inspect', '--file', '-', '--chain-id', '11155111', '--safe-version', '1.4.1', '--format', 'json'],
      { stdin, stdout, stderr, env: {} },
    )
    const cpu = process.cpuUsage(started)
    rows.push({
      input,
      megabytes: round(text.length / 2 ** 20),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      exitCode,
    })
  }
  return rows
}
