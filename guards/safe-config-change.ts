import type { Address } from 'viem'
import { zeroAddress } from 'viem'
import { z } from 'zod'
import { flattenCalls } from '../src/model/calls.js'
import type { DecodedCall } from '../src/model/decoded.js'
import { defineGuard, type GuardContext } from '../src/model/guard.js'
import { label } from '../src/score/describe.js'

type Ctx = GuardContext<unknown>

// Keyed by signature and read by position: parameter names come from whichever ABI decoded the
// call (a config ABI may name them differently), the signature and positions do not change.
const a = (c: DecodedCall, i: number) => c.function?.args[i]?.value
const describe: Record<string, (c: DecodedCall, ctx: Ctx) => string> = {
  'addOwnerWithThreshold(address,uint256)': (c, ctx) =>
    `adds owner ${label(a(c, 0) as Address, ctx)} and sets the threshold to ${a(c, 1)}`,
  'removeOwner(address,address,uint256)': (c, ctx) =>
    `removes owner ${label(a(c, 1) as Address, ctx)} and sets the threshold to ${a(c, 2)}`,
  'swapOwner(address,address,address)': (c, ctx) =>
    `replaces owner ${label(a(c, 1) as Address, ctx)} with ${label(a(c, 2) as Address, ctx)}`,
  'changeThreshold(uint256)': (c, ctx) =>
    `changes the threshold ${ctx.verification.safeState && c.to === ctx.proposal.executor ? `from ${ctx.verification.safeState.threshold} ` : ''}to ${a(c, 0)}`,
  'enableModule(address)': (c, ctx) =>
    `enables module ${label(a(c, 0) as Address, ctx)}, which can then move funds without signatures`,
  'disableModule(address,address)': (c, ctx) => `disables module ${label(a(c, 1) as Address, ctx)}`,
  'setGuard(address)': (c, ctx) => setOrRemove('transaction guard', a(c, 0) as Address, ctx),
  'setModuleGuard(address)': (c, ctx) => setOrRemove('module guard', a(c, 0) as Address, ctx),
  'setFallbackHandler(address)': (c, ctx) => setOrRemove('fallback handler', a(c, 0) as Address, ctx),
  'changeMasterCopy(address)': (c, ctx) =>
    `replaces the Safe's singleton (masterCopy) with ${label(a(c, 0) as Address, ctx)}`,
  'setup(address[],uint256,address,bytes,address,address,uint256,address)': () =>
    'calls setup() again on an existing Safe',
}

const setOrRemove = (what: string, to: Address, ctx: Ctx) =>
  to === zeroAddress ? `removes the ${what}` : `sets the ${what} to ${label(to, ctx)}`

export default defineGuard({
  meta: {
    id: 'safe-config-change',
    description:
      "A call to the Safe's own owner, threshold, module, guard, fallback-handler or singleton functions.",
    appliesTo: ['safe', 'module'],
    needsSimulation: false,
    codes: {
      'singleton-change': 'critical',
      'config-change': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    const safe = ctx.proposal.executor
    return (
      flattenCalls(ctx.verification.call)
        // The Safe calling itself, or a nested Safe doing so inside an execTransaction it runs.
        .filter((c) => (c.to === safe || c.to === c.from) && c.function && describe[c.function.signature])
        .map((c) => {
          const signature = c.function?.signature ?? ''
          const text = describe[signature]?.(c, ctx) ?? signature
          const where = c.to === safe ? '' : ` on nested Safe ${label(c.to, ctx)}`
          const singleton = signature === 'changeMasterCopy(address)'
          return {
            code: singleton ? 'singleton-change' : 'config-change',
            severity: singleton ? ('critical' as const) : ('high' as const),
            path: c.path,
            message: `${c.function?.name}${where}: ${text}`,
          }
        })
    )
  },
})
