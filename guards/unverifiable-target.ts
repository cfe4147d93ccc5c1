import { z } from 'zod'
import type { CodePin } from '../src/model/governance.js'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import { proposalCalls, sameAddress, who } from '../src/score/governance-guards.js'
import { scanOpcodes } from '../src/score/opcodes.js'

const hex = (n: number) => `0x${n.toString(16)}`

export default defineGuard({
  meta: {
    id: 'unverifiable-target',
    description:
      'Calldata sent to an address with no code, or to a contract deployed shortly before the proposal (critical when its code can SELFDESTRUCT or DELEGATECALL): voters cannot have reviewed what will run.',
    appliesTo: ['governor', 'timelock'],
    needsSimulation: false,
    codes: {
      'no-code': 'high',
      'recent-contract': 'critical',
    },
  },
  options: z.object({
    /** A target deployed at most this many blocks before the proposal counts as recent (50000 ≈ a week). */
    recentBlocks: z.number().int().nonnegative().default(50_000),
  }),
  check(ctx) {
    const g = ctx.governance
    if (!g) return []
    const pinOf = (a: string): CodePin | undefined => g.code.find((p) => sameAddress(p.address, a))
    const calls = proposalCalls(ctx)
    const out: GuardFinding[] = []
    for (const c of calls) {
      if (c.data === '0x' || pinOf(c.to)?.now !== null) continue
      out.push({
        code: 'no-code',
        severity: 'high',
        path: c.path,
        message: `sends calldata${c.selector ? ` (${c.function?.signature ?? c.selector})` : ''} to ${who(c.to, ctx)}, which has no code: the call does nothing now, and whoever can deploy there decides what it does at execution`,
      })
    }
    const targets = new Set(calls.map((c) => c.to.toLowerCase()))
    for (const pin of g.code) {
      if (!pin.target && !targets.has(pin.address.toLowerCase())) continue
      if (pin.deployedBlock === undefined || pin.deployedBlock > g.createdBlock) continue
      const age = g.createdBlock - pin.deployedBlock
      if (age > BigInt(ctx.options.recentBlocks)) continue
      const scan = pin.code ? scanOpcodes(pin.code) : undefined
      const risky = [
        ...(scan?.selfdestruct.length ? [`SELFDESTRUCT (byte ${hex(scan.selfdestruct[0] as number)})`] : []),
        ...(scan?.delegatecall.length ? [`DELEGATECALL (byte ${hex(scan.delegatecall[0] as number)})`] : []),
      ]
      const detail = !scan
        ? '; its code was not read, so SELFDESTRUCT and DELEGATECALL could not be checked'
        : risky.length
          ? `; its code can reach ${risky.join(' and ')}: it can be replaced or run other code by the time the proposal executes`
          : ''
      out.push({
        code: 'recent-contract',
        severity: risky.length ? 'critical' : 'medium',
        message: `the target ${who(pin.address, ctx)} was deployed in block ${pin.deployedBlock}, ${age} blocks before the proposal (block ${g.createdBlock}): voters had little time to review it${detail}`,
      })
    }
    return out
  },
})
