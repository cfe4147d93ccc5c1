import { encodeFunctionData, type Hex, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import { packMultiSend } from '../../src/model/multisend.js'
import { ALICE, BOB, erc20, MULTISEND_CALL_ONLY, multiSend, SAFE, TOKEN } from '../helpers/build.js'
import { cli } from './run.js'

// A transaction service's dataDecoded is what a Safe UI shows the signers. These run the CLI on
// a file (stdin) whose calldata pays BOB while the claim shows something else.

const offline = ['inspect', '--file', '-', '--chain-id', '1', '--safe-version', '1.4.1', '--format', 'json']
const payBob = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [BOB, 1000n] })
const txJson = (data: Hex, dataDecoded: unknown, to = TOKEN, operation = 0) =>
  JSON.stringify({
    safe: SAFE,
    to,
    value: '0',
    data,
    operation,
    safeTxGas: '0',
    baseGas: '0',
    gasPrice: '0',
    nonce: '0',
    ...(dataDecoded === undefined ? {} : { dataDecoded }),
  })
const transferClaim = (to: string, value: string, valueType = 'uint256', extra: object[] = []) => ({
  method: 'transfer',
  parameters: [
    { name: 'to', type: 'address', value: to },
    { name: 'value', type: valueType, value },
    ...extra,
  ],
})
type Finding = { guard: string; code: string; severity: string; path?: string; message: string }
const inspect = async (stdin: string) => {
  const r = await cli(offline, { stdin })
  const json = JSON.parse(r.stdout) as { findings: Finding[]; risk: { level: string } }
  const codes = json.findings.map((f) => `${f.guard}/${f.code}:${f.severity}${f.path ? `@${f.path}` : ''}`)
  return { code: r.code, json, codes }
}

describe('custos inspect: a claim that cannot be checked', () => {
  it.each([
    ['a trailing space in a type', 'uint256 '],
    ['a capitalised type', 'Uint256'],
    ['a zero-width character in a type', 'uint\u200b256'],
  ])('is high, exit 1, and its readable values are still compared (%s)', async (_name, badType) => {
    const r = await inspect(txJson(payBob, transferClaim(ALICE, '1000', badType)))
    expect(r.code).toBe(1)
    expect(r.codes).toContain('decoded-mismatch/claim-unverifiable:high@0')
    // The recipient's type parses and its value is not what the bytes say: a plain lie.
    const lie = r.json.findings.find((f) => f.code === 'decoded-mismatch')
    expect(lie?.severity).toBe('high')
    expect(lie?.message).toContain(`to: claimed ${ALICE.toLowerCase()}, actual ${BOB.toLowerCase()}`)
  })

  it('compares the value of an unparsable parameter in the type the bytes have', async () => {
    const r = await inspect(txJson(payBob, transferClaim(BOB, '1', 'uint256 ')))
    expect(r.code).toBe(1)
    const lie = r.json.findings.find((f) => f.code === 'decoded-mismatch')
    expect(lie?.message).toContain('amount: claimed 1, actual 1000')
  })

  it('is high even when every readable part agrees with the bytes', async () => {
    const r = await inspect(txJson(payBob, transferClaim(BOB, '1000', 'uint256 ')))
    expect(r.code).toBe(1)
    expect(r.codes).toEqual(['decoded-mismatch/claim-unverifiable:high@0'])
  })

  it('reports a bogus extra parameter and another method name as lies', async () => {
    const extra = await inspect(
      txJson(payBob, transferClaim(BOB, '1000', 'uint256', [{ name: 'memo', type: 'note', value: 'x' }])),
    )
    expect(extra.code).toBe(1)
    // Three parameters cannot fit in the 64 bytes after the selector: a lie found before parsing.
    expect(extra.codes).toEqual(['decoded-mismatch/decoded-mismatch:high@0'])
    expect(extra.json.findings.map((f) => f.message).join('\n')).toMatch(
      /claims 3 parameters but the calldata calls transfer\(address,uint256\) with 2/,
    )
    const renamed = await inspect(
      txJson(payBob, { ...transferClaim(BOB, '1000', 'uint256 '), method: 'approve' }),
    )
    expect(renamed.json.findings.map((f) => f.message).join('\n')).toMatch(
      /claims approve\(…\) but the calldata calls transfer\(address,uint256\)/,
    )
  })

  it('keeps checking MultiSend entries when the outer claim does not parse', async () => {
    const packed = packMultiSend([{ operation: 0, to: TOKEN, value: 0n, data: payBob }])
    const data = multiSend([{ to: TOKEN, data: payBob }])
    const claim = {
      method: 'multiSend',
      parameters: [
        {
          name: 'transactions',
          type: 'bytes ',
          value: packed,
          valueDecoded: [
            {
              operation: 0,
              to: TOKEN,
              value: '0',
              data: payBob,
              dataDecoded: transferClaim(ALICE, '1000'),
            },
          ],
        },
      ],
    }
    const r = await inspect(txJson(data, claim, MULTISEND_CALL_ONLY, 1))
    expect(r.codes).toContain('decoded-mismatch/claim-unverifiable:high@0')
    expect(r.codes).toContain('decoded-mismatch/decoded-mismatch:high@0.0')
  })

  it('still decodes the raw bytes (the claim does not replace them)', async () => {
    const r = await cli(offline.slice(0, -2), {
      stdin: txJson(payBob, transferClaim(ALICE, '1000', 'Uint256')),
    })
    expect(r.stdout).toContain('transfer(address,uint256)')
    expect(r.stdout).toMatch(new RegExp(`to address = ${BOB}`))
  })
})

describe('custos inspect: a 4-byte selector is not a proof', () => {
  // stake(uint256) is in none of custos's ABIs; the claim encodes to exactly these bytes.
  const stake = encodeFunctionData({
    abi: parseAbi(['function stake(uint256 amount)']),
    functionName: 'stake',
    args: [42n],
  })
  const stakeClaim = { method: 'stake', parameters: [{ name: 'amount', type: 'uint256', value: '42' }] }

  it('keeps the call undecodable and the claimed name a claim, at the level of the bytes alone', async () => {
    const bare = await inspect(txJson(stake, undefined))
    const claimed = await inspect(txJson(stake, stakeClaim))
    expect(bare.codes).toEqual(['undecodable/undecodable:medium@0'])
    expect(claimed.codes).toEqual(['undecodable/undecodable:medium@0'])
    expect(claimed.json.risk.level).toBe(bare.json.risk.level)
    const json = claimed.json as unknown as {
      calls: Array<{ function: string | null; claimedFunction?: { signature: string; verified: boolean } }>
      claims: Array<{ status: string }>
    }
    expect(json.calls[0]?.function).toBeNull()
    expect(json.calls[0]?.claimedFunction).toMatchObject({ signature: 'stake(uint256)', verified: false })
    expect(json.claims.map((c) => c.status)).toEqual(['unconfirmed'])
    expect(claimed.json.findings[0]?.message).toMatch(
      /claims it is stake\(uint256\), which custos cannot verify/,
    )
  })

  it('shows the claimed name as a claim in the text report', async () => {
    const r = await cli(offline.slice(0, -2), { stdin: txJson(stake, stakeClaim) })
    expect(r.stdout).toContain('claimed, unverified: stake(uint256)')
    expect(r.stdout).toContain('not decoded: unknown function selector 0xa694fc3a')
    expect(r.stdout).toMatch(/dataDecoded {3}UNVERIFIED/)
    expect(r.stdout).toContain('Risk: MEDIUM')
  })

  it('a DELEGATECALL to an unknown selector stays high with a claim', async () => {
    const r = await inspect(txJson(stake, stakeClaim, TOKEN, 1))
    expect(r.codes).toContain('undecodable/undecodable:high@0')
    expect(r.code).toBe(1)
  })
})
