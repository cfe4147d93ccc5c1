import { parseEther } from 'viem'
import { afterAll, beforeAll, it } from 'vitest'
import { type Lab, startLab } from '../../src/lab/index.js'
import { execCalldata, guardedSafe, guardianDoes, hashOf, signTx } from '../helpers/guard.js'

let lab: Lab
beforeAll(async () => {
  lab = await startLab()
})
afterAll(() => lab?.stop())

it('gas profile', async () => {
  const w = await guardedSafe(lab, '1.4.1')
  const to = w.stranger.address
  const tx = await signTx(w, { to, value: parseEther('1') })
  await guardianDoes(w, 'approve', await hashOf(w, tx))
  const logs = (await lab.public.request({
    method: 'debug_traceCall' as never,
    params: [{ from: w.stranger.address, to: w.safe, data: execCalldata(tx), gas: '0x2dc6c0' }, 'latest', {}] as never,
  })) as { gas: number; structLogs: { op: string; gasCost: number; depth: number; pc: number }[] }
  console.log(logs.gas, logs.structLogs.length)
  const by: Record<string, number> = {}
  let total = 0
  let inGuard = false
  let seg = ''
  const segs: Record<string, number> = {}
  for (const [i, l] of logs.structLogs.entries()) {
    const prev = logs.structLogs[i - 1]
    if (prev && prev.depth === 2 && l.depth === 3) inGuard = prev.op === 'CALL'
    if (l.depth < 3) inGuard = false
    if (!inGuard) continue
    const key = `${l.depth}:${l.op}`
    by[key] = (by[key] ?? 0) + (l.depth === 3 ? l.gasCost : 0)
    if (l.depth === 3) total += l.gasCost
    if (l.depth === 3 && (l.op === 'SLOAD' || l.op === 'SSTORE' || l.op === 'STATICCALL' || l.op.startsWith('LOG') || l.op === 'TSTORE')) {
      seg += `${l.op}@${l.pc}(${l.gasCost}) `
    }
  }
  console.log(total, Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 30))
  console.log(seg)
})
