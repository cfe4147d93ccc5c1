import { createRequire } from 'node:module'
import type { Abi, Address, Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../../src/lab/index.js'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import { ALICE, safeTx, TOKEN } from '../helpers/build.js'

const require = createRequire(import.meta.url)
const SINGLETONS: Record<string, string> = {
  '1.3.0': '@gnosis.pm/safe-contracts/build/artifacts/contracts/GnosisSafe.sol/GnosisSafe.json',
  '1.4.1': '@safe-global/safe-contracts/build/artifacts/contracts/Safe.sol/Safe.json',
  '1.5.0': '@safe-global/safe-smart-account/build/artifacts/contracts/Safe.sol/Safe.json',
}

let lab: Lab
beforeAll(async () => {
  lab = await startLab()
})
afterAll(() => lab?.stop())

// The strongest check there is: the Safe contract itself computes the hash it will verify.
describe('safeTxHash against the real Safe contracts', () => {
  for (const [version, path] of Object.entries(SINGLETONS)) {
    it(`matches getTransactionHash of Safe ${version}`, async () => {
      const artifact = require(path) as { abi: Abi; bytecode: Hex }
      const deployer = lab.accounts[0]?.address as Address
      const hash = await lab.wallet.deployContract({
        account: deployer,
        chain: null,
        abi: artifact.abi,
        bytecode: artifact.bytecode,
      })
      const { contractAddress } = await lab.public.waitForTransactionReceipt({ hash })
      const safe = contractAddress as Address
      expect(
        await lab.public.readContract({ address: safe, abi: artifact.abi, functionName: 'VERSION' }),
      ).toBe(version)
      for (const tx of [
        safeTx({ safe, to: TOKEN, data: '0xa9059cbb0000', value: 5n, nonce: 3n }),
        safeTx({
          safe,
          operation: 1,
          safeTxGas: 1n,
          baseGas: 2n,
          gasPrice: 3n,
          gasToken: TOKEN,
          refundReceiver: ALICE,
          nonce: 99n,
        }),
      ]) {
        const onChain = await lab.public.readContract({
          address: safe,
          abi: artifact.abi,
          functionName: 'getTransactionHash',
          args: [
            tx.to,
            tx.value,
            tx.data,
            tx.operation,
            tx.safeTxGas,
            tx.baseGas,
            tx.gasPrice,
            tx.gasToken,
            tx.refundReceiver,
            tx.nonce,
          ],
        })
        expect(safeTxHashes(version, lab.chainId, tx).safeTxHash).toBe(onChain)
      }
    })
  }
})
