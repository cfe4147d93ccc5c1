import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Hex, PublicClient, TestClient } from 'viem'
import { MULTICALL3 } from '../model/check.js'

// Multicall3 at its canonical address, as every public chain has it: custos batches its protocol
// checks through it. The code is Multicall3's own: the creation code viem ships for its deployless
// multicall, run once to get the runtime code. Idempotent: a chain that has it keeps its own.

export { MULTICALL3 }

const require = createRequire(import.meta.url)

/** Multicall3's creation code, from viem's package (not exported, so read from its file). */
function creationCode(): Hex {
  const file = join(dirname(require.resolve('viem')), 'constants/contracts.js')
  const found = /multicall3Bytecode = '(0x[0-9a-f]+)'/.exec(readFileSync(file, 'utf8'))?.[1]
  if (!found) throw new Error(`lab: no Multicall3 creation code in ${file}`)
  return found as Hex
}

export async function ensureMulticall3(clients: { public: PublicClient; test: TestClient }): Promise<void> {
  const code = await clients.public.getCode({ address: MULTICALL3 })
  if (code && code !== '0x') return
  // A creation call returns the code it would deploy.
  const { data } = await clients.public.call({ data: creationCode() })
  if (!data || data === '0x') throw new Error('lab: Multicall3 creation returned no code')
  await clients.test.setCode({ address: MULTICALL3, bytecode: data })
}
