import * as deployments from '@safe-global/safe-deployments'
import { getAddress, keccak256, parseEther, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../../src/lab/index.js'

let lab: Lab
beforeAll(async () => {
  const t0 = performance.now()
  lab = await startLab()
  console.log(`lab started in ${Math.round(performance.now() - t0)} ms`)
})
afterAll(() => lab?.stop())

describe('lab', () => {
  it('deploys Safe 1.4.1 at the canonical addresses with the published code', async () => {
    const published = deployments.getMultiSendCallOnlyDeployments({ version: '1.4.1' })
    expect(lab.contracts.multiSendCallOnly).toBe(getAddress(published?.deployments.canonical?.address ?? ''))
    const code = await lab.public.getCode({ address: lab.contracts.safe })
    const singleton = deployments.getSafeSingletonDeployments({ version: '1.4.1' })
    expect(keccak256(code ?? '0x')).toBe(singleton?.deployments.canonical?.codeHash)
  })

  it('creates a Safe through protocol-kit and executes a signed transaction', async () => {
    const [a, b, c, , , , , , , recipient] = lab.accounts
    if (!a || !b || !c || !recipient) throw new Error('accounts')
    const safe = await lab.createSafe({
      owners: [a.address, b.address, c.address],
      threshold: 2,
      fund: parseEther('5'),
    })
    const kitA = await lab.kit(safe, a)
    expect(await kitA.getThreshold()).toBe(2)
    let tx = await kitA.createTransaction({
      transactions: [{ to: recipient.address, value: parseEther('1').toString(), data: '0x' }],
    })
    tx = await kitA.signTransaction(tx)
    const kitB = await lab.kit(safe, b)
    tx = await kitB.signTransaction(tx)
    const before = await lab.public.getBalance({ address: recipient.address })
    const result = await kitB.executeTransaction(tx)
    await lab.public.waitForTransactionReceipt({ hash: result.hash as `0x${string}` })
    expect((await lab.public.getBalance({ address: recipient.address })) - before).toBe(parseEther('1'))
    expect(tx.data.gasToken).toBe(zeroAddress)
  })
})
