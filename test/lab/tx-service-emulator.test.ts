import { type Address, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { startTxServiceEmulator, type TxServiceEmulator } from '../../src/lab/tx-service.js'
import { parseServiceTx } from '../../src/sources/tx-json.js'
import { fetchTransactionsAtNonce, loadApiKit } from '../../src/sources/tx-service.js'

let lab: Lab
let emulator: TxServiceEmulator
let safe: Address
let A: LabAccount, B: LabAccount, E: LabAccount
let api: InstanceType<Awaited<ReturnType<typeof loadApiKit>>>

beforeAll(async () => {
  lab = await startLab()
  ;[, A, B, , E] = lab.accounts as LabAccount[] as [
    LabAccount,
    LabAccount,
    LabAccount,
    LabAccount,
    LabAccount,
  ]
  safe = await lab.createSafe({ owners: [A.address, B.address], threshold: 2, fund: parseEther('1') })
  emulator = await startTxServiceEmulator(lab.rpcUrl)
  api = new (await loadApiKit())({ chainId: BigInt(lab.chainId), txServiceUrl: emulator.url })
})
afterAll(async () => {
  await emulator?.close()
  await lab?.stop()
})

async function propose(by: LabAccount, value: bigint, nonce = 0, before?: (safeTxHash: Hex) => void) {
  const kit = await lab.kit(safe, by)
  const tx = await kit.createTransaction({
    transactions: [{ to: E.address, value: value.toString(), data: '0x' }],
    options: { nonce },
  })
  const safeTxHash = (await kit.getTransactionHash(tx)) as Hex
  before?.(safeTxHash)
  const signature = await kit.signHash(safeTxHash)
  await api.proposeTransaction({
    safeAddress: safe,
    safeTransactionData: tx.data,
    safeTxHash,
    senderAddress: by.address,
    senderSignature: signature.data,
  })
  return { tx, safeTxHash }
}

describe('the transaction service emulator, through the real api-kit', () => {
  it('accepts a proposal and a confirmation from owners and serves them as pending', async () => {
    const { safeTxHash, tx } = await propose(A, 1n)
    const kitB = await lab.kit(safe, B)
    await api.confirmTransaction(safeTxHash, (await kitB.signHash(safeTxHash)).data)
    const pending = await api.getPendingTransactions(safe)
    expect(pending.results.map((t) => t.safeTxHash)).toEqual([safeTxHash])
    const parsed = parseServiceTx(pending.results[0])
    expect(parsed.tx.value).toBe(1n)
    expect(parsed.confirmations.map((c) => c.owner)).toEqual([A.address, B.address])
    expect(parsed.claimedSafeTxHash).toBe(safeTxHash)
    // The confirmations are real: the Safe executes with them.
    const kitA = await lab.kit(safe, A)
    const full = await api.getTransaction(safeTxHash)
    const res = await kitA.executeTransaction(full)
    await lab.public.waitForTransactionReceipt({ hash: res.hash as Hex })
    expect((await api.getTransaction(safeTxHash)).isExecuted).toBe(true)
    expect((await api.getPendingTransactions(safe)).results).toEqual([])
    expect(tx.data.nonce).toBe(0)
  })

  it('refuses what the real service refuses: a non-owner, a wrong hash, a used nonce', async () => {
    await expect(propose(E, 2n, 1)).rejects.toThrow(/not an owner/)
    const kit = await lab.kit(safe, A)
    const tx = await kit.createTransaction({
      transactions: [{ to: E.address, value: '3', data: '0x' }],
      options: { nonce: 1 },
    })
    const wrong = `0x${'ab'.repeat(32)}` as Hex
    await expect(
      api.proposeTransaction({
        safeAddress: safe,
        safeTransactionData: tx.data,
        safeTxHash: wrong,
        senderAddress: A.address,
        senderSignature: (await kit.signHash(wrong)).data,
      }),
    ).rejects.toThrow(/not the hash of the fields/)
    await expect(propose(A, 4n, 0)).rejects.toThrow(/already executed/)
  })

  it('serves every transaction at a nonce, can be made to lie, and can go down', async () => {
    const one = await propose(A, 5n, 1)
    await propose(B, 6n, 1)
    const atNonce = await fetchTransactionsAtNonce({ chainId: lab.chainId, url: emulator.url }, safe, 1n)
    expect(atNonce).toHaveLength(2)
    emulator.tamper(one.safeTxHash, { dataDecoded: { method: 'transfer', parameters: [] } })
    expect((await api.getTransaction(one.safeTxHash)).dataDecoded).toEqual({
      method: 'transfer',
      parameters: [],
    })
    // A lie set before the proposal is what the very first read returns (no honest window).
    const lie = { method: 'approve', parameters: [] }
    const early = await propose(B, 7n, 1, (hash) => emulator.tamper(hash, { dataDecoded: lie }))
    expect((await api.getTransaction(early.safeTxHash)).dataDecoded).toEqual(lie)
    emulator.remove(early.safeTxHash)
    emulator.remove(one.safeTxHash)
    expect((await api.getPendingTransactions(safe)).results).toHaveLength(1)
    emulator.outage = 503
    await expect(api.getPendingTransactions(safe)).rejects.toThrow(/emulated outage/)
    emulator.outage = undefined
  })

  it('rate-limits with X-RateLimit headers and 429 when asked to', async () => {
    emulator.rateLimitPerSecond = 2
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${emulator.url}/v1/about/`)
      statuses.push(res.status)
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('1')
    }
    emulator.rateLimitPerSecond = undefined
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1)
  })
})
