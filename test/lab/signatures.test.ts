import { SigningMethod } from '@safe-global/types-kit'
import { type Address, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import {
  buildContractSignature,
  buildSignatureBytes,
  EthSafeSignature,
  type ProtocolKit,
} from '../../src/lab/protocol-kit.js'
import type { SafeReport } from '../../src/model/report.js'
import { inspectSafeTransaction } from '../../src/pipeline.js'
import { createRpcClient } from '../../src/sources/rpc.js'
import { parseServiceTx } from '../../src/sources/tx-json.js'
import { codesOf, runtime } from '../helpers/build.js'

// Owners sign with each kind Safe accepts: EIP-712 (A), eth_sign (B), an on-chain approveHash (C)
// and a contract signature from a nested Safe (N, owned by D). E is not an owner.
let lab: Lab
let A: LabAccount, B: LabAccount, C: LabAccount, D: LabAccount, E: LabAccount
let safe: Address
let nested: Address
let kitA: ProtocolKit

beforeAll(async () => {
  lab = await startLab()
  ;[A, B, C, D, E] = lab.accounts as [LabAccount, LabAccount, LabAccount, LabAccount, LabAccount]
  nested = await lab.createSafe({ owners: [D.address], threshold: 1 })
  safe = await lab.createSafe({
    owners: [A.address, B.address, C.address, nested],
    threshold: 4,
    fund: parseEther('10'),
  })
  kitA = await lab.kit(safe, A)
})
afterAll(() => lab?.stop())

type Signed = {
  confirmations: { owner: Address; signature: Hex }[]
  txJson: Record<string, unknown>
  safeTx: Awaited<ReturnType<ProtocolKit['createTransaction']>>
}

async function signAllKinds(to: Address, value: bigint): Promise<Signed> {
  let tx = await kitA.createTransaction({ transactions: [{ to, value: value.toString(), data: '0x' }] })
  const hash = (await kitA.getTransactionHash(tx)) as Hex
  tx = await kitA.signTransaction(tx, SigningMethod.ETH_SIGN_TYPED_DATA_V4)
  tx = await (await lab.kit(safe, B)).signTransaction(tx, SigningMethod.ETH_SIGN)
  const approval = await (await lab.kit(safe, C)).approveTransactionHash(hash)
  await lab.public.waitForTransactionReceipt({ hash: approval.hash as Hex })
  const nestedKit = await lab.kit(nested, D)
  const byNested = await nestedKit.signTransaction(tx, SigningMethod.SAFE_SIGNATURE, safe)
  const contractSig = await buildContractSignature(
    [...byNested.signatures.values()].filter((s) => s.signer === D.address),
    nested,
  )
  const approvedSig = new EthSafeSignature(
    C.address,
    `0x${'0'.repeat(24)}${C.address.slice(2)}${'0'.repeat(64)}01`,
  )
  tx.addSignature(approvedSig)
  tx.addSignature(contractSig)
  const sig = (owner: Address) => {
    const s = tx.signatures.get(owner.toLowerCase())
    if (!s) throw new Error(`no signature for ${owner}`)
    return buildSignatureBytes([s]) as Hex
  }
  const confirmations = [A, B, C].map((o) => ({ owner: o.address, signature: sig(o.address) }))
  confirmations.push({ owner: nested, signature: sig(nested) })
  const txJson = { safe, ...tx.data, safeTxHash: hash, confirmations }
  return { confirmations, txJson, safeTx: tx }
}

const inspect = (json: unknown): Promise<SafeReport> =>
  inspectSafeTransaction(runtime(), { source: parseServiceTx(json), client: createRpcClient([lab.rpcUrl]) })

describe('signature recovery on the lab, with real owner signatures', () => {
  it('recovers every kind to a current owner and finds nothing wrong', async () => {
    const { txJson } = await signAllKinds(E.address, parseEther('1'))
    const report = await inspect(txJson)
    expect(report.safe.state?.threshold).toBe(4n)
    expect(report.hashes.match).toBe(true)
    expect(report.signatures.map((s) => [s.kind, s.signer, s.isOwner])).toEqual([
      ['ecdsa', A.address, true],
      ['eth_sign', B.address, true],
      ['approved-hash', C.address, true],
      ['contract', nested, true],
    ])
    expect(report.signatures[2]?.approvedOnChain).toBe(true)
    expect(report.signatures[3]?.eip1271Valid).toBe(true)
    expect(codesOf(report, 'signature-invalid')).toEqual(['signature-invalid/eth-sign:info'])
  })

  it('the same signatures execute on chain (so custos judged real, valid signatures)', async () => {
    const { safeTx } = await signAllKinds(E.address, parseEther('2'))
    const before = await lab.public.getBalance({ address: E.address })
    const result = await kitA.executeTransaction(safeTx)
    const receipt = await lab.public.waitForTransactionReceipt({ hash: result.hash as Hex })
    expect(receipt.status).toBe('success')
    expect((await lab.public.getBalance({ address: E.address })) - before).toBe(parseEther('2'))
  })

  it('flags a confirmation from a non-owner, a forged contract signature and a missing approval', async () => {
    const { txJson, confirmations } = await signAllKinds(E.address, parseEther('3'))
    const hash = txJson.safeTxHash as Hex
    const aEthSign = await (await lab.kit(safe, A)).signHash(hash) // protocol-kit's signHash is eth_sign
    const bySigner = await lab.wallet.signMessage({ account: E.address, message: { raw: hash } })
    const eEthSign =
      `${bySigner.slice(0, 130)}${(Number.parseInt(bySigner.slice(130), 16) + 4).toString(16)}` as Hex
    const forged = `${confirmations[3]?.signature.slice(0, -2)}00` as Hex // nested Safe's signature with its last byte changed
    const notApproved = `0x${'0'.repeat(24)}${D.address.slice(2)}${'0'.repeat(64)}01` as Hex
    const report = await inspect({
      ...txJson,
      confirmations: [
        { owner: E.address, signature: eEthSign },
        { owner: nested, signature: forged },
        { owner: D.address, signature: notApproved },
        { owner: A.address, signature: aEthSign.data as Hex },
      ],
    })
    expect(codesOf(report, 'signature-invalid').sort()).toEqual(
      [
        'signature-invalid/not-an-owner:high',
        'signature-invalid/eth-sign:info',
        'signature-invalid/contract-signature-invalid:high',
        'signature-invalid/not-an-owner:high',
        'signature-invalid/approval-not-on-chain:low',
        'signature-invalid/eth-sign:info',
      ].sort(),
    )
    expect(report.risk.level).toBe('high')
  })
})
