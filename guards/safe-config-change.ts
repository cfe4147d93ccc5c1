import type { Address } from 'viem'
import { zeroAddress } from 'viem'
import { z } from 'zod'
import { arg, flattenCalls } from '../src/model/calls.js'
import type { DecodedCall } from '../src/model/decoded.js'
import { defineGuard, type GuardContext } from '../src/model/guard.js'
import { label } from '../src/score/describe.js'

type Ctx = GuardContext<unknown>

const describe: Record<string, (c: DecodedCall, ctx: Ctx) => string> = {
  addOwnerWithThreshold: (c, ctx) =>
    `adds owner ${label(arg(c, 'owner') as Address, ctx)} and sets the threshold to ${arg(c, '_threshold')}`,
  removeOwner: (c, ctx) =>
    `removes owner ${label(arg(c, 'owner') as Address, ctx)} and sets the threshold to ${arg(c, '_threshold')}`,
  swapOwner: (c, ctx) =>
    `replaces owner ${label(arg(c, 'oldOwner') as Address, ctx)} with ${label(arg(c, 'newOwner') as Address, ctx)}`,
  changeThreshold: (c, ctx) =>
    `changes the threshold ${ctx.verification.safeState ? `from ${ctx.verification.safeState.threshold} ` : ''}to ${arg(c, '_threshold')}`,
  enableModule: (c, ctx) =>
    `enables module ${label(arg(c, 'module') as Address, ctx)}, which can then move funds without signatures`,
  disableModule: (c, ctx) => `disables module ${label(arg(c, 'module') as Address, ctx)}`,
  setGuard: (c, ctx) => setOrRemove('transaction guard', arg(c, 'guard') as Address, ctx),
  setModuleGuard: (c, ctx) => setOrRemove('module guard', arg(c, 'moduleGuard') as Address, ctx),
  setFallbackHandler: (c, ctx) => setOrRemove('fallback handler', arg(c, 'handler') as Address, ctx),
  changeMasterCopy: (c, ctx) =>
    `replaces the Safe's singleton (masterCopy) with ${label(arg(c, '_masterCopy') as Address, ctx)}`,
  setup: () => 'calls setup() again on an existing Safe',
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
    maxSeverity: 'critical',
  },
  options: z.object({}),
  check(ctx) {
    const safe = ctx.proposal.executor
    return flattenCalls(ctx.verification.call)
      .filter(
        (c) => c.to === safe && c.function && c.function.abis.includes('safe') && describe[c.function.name],
      )
      .map((c) => {
        const name = c.function?.name ?? ''
        const text = describe[name]?.(c, ctx) ?? name
        return {
          code: name === 'changeMasterCopy' ? 'singleton-change' : 'config-change',
          severity: name === 'changeMasterCopy' ? ('critical' as const) : ('high' as const),
          path: c.path,
          message: `${c.function?.name}: ${text}`,
        }
      })
  },
})
