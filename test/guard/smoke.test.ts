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
  const L = logs.structLogs as { op: string; gasCost: number; depth: number; pc: number; gas: number }[]
  // Per guard call frame: gas at entry minus gas at exit, and the cost of each sub-call (gas before minus gas
  // after at the same depth), to see where the guard's gas goes.
  const rows: string[] = []
  for (let i = 1; i < L.length; i++) {
    const prev = L[i - 1]
    const cur = L[i]
    if (!prev || !cur) continue
    if (prev.depth === 2 && cur.depth === 3 && prev.op === 'CALL') {
      let j = i
      while (j < L.length && (L[j]?.depth ?? 0) >= 3) j++
      const exit = L[j - 1]
      const sub: Record<string, number> = {}
      let k = i
      while (k < j) {
        const step = L[k]
        if (!step) break
        if (step.depth === 3 && (step.op === 'STATICCALL' || step.op === 'CALL')) {
          let m = k + 1
          while (m < j && (L[m]?.depth ?? 0) > 3) m++
          sub[`${step.op}@${step.pc}`] = step.gas - (L[m]?.gas ?? 0)
          k = m
          continue
        }
        if (step.depth === 3 && ['SLOAD', 'SSTORE', 'TLOAD', 'TSTORE', 'KECCAK256', 'LOG3'].includes(step.op))
          sub[step.op] = (sub[step.op] ?? 0) + step.gasCost
        k++
      }
      const hist: Record<string, number> = {}
      for (let q = i; q < j; q++) {
        const st = L[q]
        if (st?.depth === 3) hist[st.op] = (hist[st.op] ?? 0) + (st.op.endsWith('CALL') ? 0 : st.gasCost)
      }
      rows.push(JSON.stringify(Object.entries(hist).sort((x, y) => y[1] - x[1]).slice(0, 22)))
      rows.push(`frame at pc ${prev.pc}: ${cur.gas - (exit?.gas ?? 0) + (exit?.gasCost ?? 0)} ${JSON.stringify(sub)}`)
    }
  }
  console.log(rows.join('\n'))
})
