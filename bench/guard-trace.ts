// Where the custos Guard's gas goes on one guarded execTransaction: anvil's opcode steps
// (debug_traceTransaction; the lab runs anvil with --steps-tracing) summed over the guard's own call
// frames by the kind of work, each call the guard makes (into the Safe) counted whole.
import type { Address, Hash } from 'viem'
import type { Lab } from '../src/lab/index.js'

export type GuardGasItem = { what: string; gas: number }

type Step = { op: string; gas: number; gasCost: number; depth: number; stack?: string[]; refund?: number }

const CALLS = new Set(['CALL', 'STATICCALL', 'DELEGATECALL', 'CALLCODE'])

function kindOf(op: string): string {
  if (op === 'SLOAD') return 'storage reads (settings, record)'
  if (op === 'SSTORE') return 'storage write (the record cleared)'
  if (op.startsWith('LOG')) return 'event (Executed)'
  if (CALLS.has(op)) return 'calls into the Safe (nonce, guard slots)'
  if (op === 'TLOAD' || op === 'TSTORE') return 'frame stack (transient storage)'
  if (op === 'KECCAK256') return 'hashing (safeTxHash, storage slots)'
  return ''
}

/**
 * Gas spent in `guard`'s frames of transaction `tx`, by kind of work ('' for everything else), and the
 * transaction's refund counter at its end.
 */
export async function guardFrameGas(
  lab: Lab,
  tx: Hash,
  guard: Address,
): Promise<{ byKind: Record<string, number>; refund: number }> {
  const trace = (await lab.public.request({
    method: 'debug_traceTransaction' as never,
    params: [tx, { enableMemory: false, disableStorage: true }] as never,
  })) as { structLogs?: Step[] }
  const steps = trace.structLogs ?? []
  if (steps.length === 0) throw new Error('bench: no opcode steps (is anvil running with --steps-tracing?)')
  const codeAt: string[] = []
  const byKind: Record<string, number> = {}
  for (const [i, s] of steps.entries()) {
    const inGuard = codeAt[s.depth] === guard.toLowerCase()
    if (CALLS.has(s.op)) {
      const target = s.stack?.[s.stack.length - 2] ?? '0x0'
      codeAt[s.depth + 1] = `0x${BigInt(target).toString(16).padStart(40, '0')}`
    }
    if (!inGuard) continue
    // What the step cost its frame: up to the frame's next step, so a call counts with all it ran.
    let next = i + 1
    while (next < steps.length && (steps[next] as Step).depth > s.depth) next += 1
    const after = steps[next]
    const cost = after && after.depth === s.depth ? s.gas - after.gas : s.gasCost
    const kind = kindOf(s.op)
    byKind[kind] = (byKind[kind] ?? 0) + cost
  }
  return { byKind, refund: steps.at(-1)?.refund ?? 0 }
}

/**
 * The items of custos's own cost (`own`: the guarded transaction's gas minus the no-op guard's): each kind of
 * work as traced, the refund, and what is left (the dispatcher, the ABI decoder, branching).
 */
export function breakdownItems(
  own: number,
  traced: { byKind: Record<string, number>; refund: number },
): GuardGasItem[] {
  const named = Object.entries(traced.byKind)
    .filter(([what]) => what !== '')
    .map(([what, gas]) => ({ what, gas }))
    .sort((a, b) => b.gas - a.gas)
  const items = [...named, { what: 'refund (the record cleared)', gas: -traced.refund }]
  const rest = own - items.reduce((sum, i) => sum + i.gas, 0)
  return [...items, { what: 'dispatcher, ABI decoding, branching and the rest', gas: rest }]
}
