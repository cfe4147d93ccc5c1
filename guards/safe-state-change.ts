import type { Address } from 'viem'
import { zeroAddress } from 'viem'
import { z } from 'zod'
import { defineGuard, type GuardContext, type GuardFinding } from '../src/model/guard.js'
import type { SafeChange, Simulation } from '../src/model/simulation.js'
import { inBook, label } from '../src/score/describe.js'

type Ctx = GuardContext<{ minThreshold: number }>

const show = (v: unknown, ctx: Ctx) =>
  typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)
    ? v === zeroAddress
      ? 'none'
      : label(v as Address, ctx)
    : String(v)
const list = (xs: Address[] | undefined, ctx: Ctx) => (xs ?? []).map((a) => label(a, ctx)).join(', ')

function judge(c: SafeChange, ctx: Ctx): GuardFinding[] {
  switch (c.field) {
    case 'singleton':
      return [
        {
          code: 'singleton-changed',
          severity: 'critical',
          message: `replaces the Safe's singleton (slot 0) ${show(c.before, ctx)} with ${show(c.after, ctx)}: whoever wrote that code now controls the Safe`,
        },
      ]
    case 'owners': {
      if (c.hidden?.length) {
        return [
          {
            code: 'hidden-owner',
            severity: 'critical',
            message: `makes ${list(c.hidden, ctx)} an owner without linking it into the owner list: it can sign although getOwners() does not show it`,
          },
        ]
      }
      const unknown = (c.added ?? []).filter((a) => !inBook(a, ctx))
      const parts = [
        c.added?.length ? `adds ${list(c.added, ctx)}` : '',
        c.removed?.length ? `removes ${list(c.removed, ctx)}` : '',
      ].filter(Boolean)
      const what = parts.length
        ? parts.join(' and ')
        : `rewrites the owner list (now ${Array.isArray(c.after) ? list(c.after as Address[], ctx) : String(c.after)})`
      return [
        unknown.length
          ? {
              code: 'owner-added-unknown',
              severity: 'critical',
              message: `owners: ${what}; ${list(unknown, ctx)} is not in the address book`,
            }
          : { code: 'owners-changed', severity: 'high', message: `owners: ${what}` },
      ]
    }
    case 'threshold': {
      const after = c.after as bigint
      const dropsBelow = after < BigInt(ctx.options.minThreshold) && after < (c.before as bigint)
      return [
        dropsBelow
          ? {
              code: 'threshold-below-minimum',
              severity: 'critical',
              message: `lowers the threshold from ${c.before} to ${after}, below the minimum of ${ctx.options.minThreshold}`,
            }
          : {
              code: 'threshold-changed',
              severity: 'high',
              message: `changes the threshold from ${c.before} to ${after}`,
            },
      ]
    }
    case 'modules': {
      if (c.hidden?.length) {
        return [
          {
            code: 'hidden-module',
            severity: 'critical',
            message: `enables ${list(c.hidden, ctx)} as a module without linking it into the module list: it can move funds although getModules() does not show it`,
          },
        ]
      }
      const unknown = (c.added ?? []).filter((a) => !inBook(a, ctx))
      const what = [
        c.added?.length ? `enables ${list(c.added, ctx)}` : '',
        c.removed?.length ? `disables ${list(c.removed, ctx)}` : '',
      ]
        .filter(Boolean)
        .join(' and ')
      return [
        unknown.length
          ? {
              code: 'module-added-unknown',
              severity: 'critical',
              message: `modules: ${what}; a module outside the address book can move funds without any signature`,
            }
          : {
              code: 'modules-changed',
              severity: 'high',
              message: `modules: ${what || 'the module list changes'}`,
            },
      ]
    }
    case 'guard':
    case 'moduleGuard':
    case 'fallbackHandler': {
      const name = {
        guard: 'transaction guard',
        moduleGuard: 'module guard',
        fallbackHandler: 'fallback handler',
      }[c.field]
      return [
        {
          code: `${c.field === 'fallbackHandler' ? 'fallback-handler' : c.field === 'guard' ? 'guard' : 'module-guard'}-changed`,
          severity: 'high',
          message: `changes the ${name} from ${show(c.before, ctx)} to ${show(c.after, ctx)}`,
        },
      ]
    }
    case 'storage':
      return [
        {
          code: 'unknown-slot-written',
          severity: 'high',
          message: `writes the Safe's storage slot ${c.slot} (${c.before} → ${c.after}), which is none of its known fields`,
        },
      ]
    case 'approvedHashes':
      return [
        {
          code: 'approval-written',
          severity: 'critical',
          message: `writes an approved hash into the Safe's storage (${c.before} → ${c.after}): a transaction nobody signed could then execute`,
        },
      ]
    case 'nonce': {
      const [b, a] = [c.before as bigint, c.after as bigint]
      return a === b + 1n
        ? []
        : [
            {
              code: 'nonce-rewritten',
              severity: 'critical',
              message: `rewrites the Safe's nonce from ${b} to ${a} (a transaction moves it by exactly one): old signatures may become valid again`,
            },
          ]
    }
    case 'signedMessages':
      return [
        {
          code: 'message-signed',
          severity: 'medium',
          message:
            "signs a message as the Safe: contracts will accept it as the Safe's own signature (EIP-1271)",
        },
      ]
    default:
      return [] // ownerCount is checked against the owner list in check()
  }
}

/** ownerCount must equal the length of the owner list; otherwise the threshold checks lie. */
function countMismatch(changes: SafeChange[], currentOwners: Address[] | undefined): GuardFinding[] {
  const count = changes.find((c) => c.field === 'ownerCount')
  if (!count) return []
  const owners = changes.find((c) => c.field === 'owners')
  const list = owners ? owners.after : currentOwners
  if (!Array.isArray(list) || BigInt(list.length) === (count.after as bigint)) return []
  return [
    {
      code: 'owner-count-mismatch',
      severity: 'critical',
      message: `sets the owner count to ${count.after} while the owner list has ${list.length}: threshold checks no longer match the owners`,
    },
  ]
}

export default defineGuard({
  meta: {
    id: 'safe-state-change',
    description:
      "Any change of the Safe's own storage beyond the nonce, read from the simulated storage diff whatever the selector (singleton, owners, threshold, modules, guards, fallback handler, unknown slots).",
    appliesTo: ['safe', 'module'],
    needsSimulation: true,
    codes: {
      'singleton-changed': 'critical',
      'hidden-owner': 'critical',
      'owner-added-unknown': 'critical',
      'owners-changed': 'high',
      'owner-count-mismatch': 'critical',
      'threshold-below-minimum': 'critical',
      'threshold-changed': 'high',
      'hidden-module': 'critical',
      'module-added-unknown': 'critical',
      'modules-changed': 'high',
      'guard-changed': 'high',
      'module-guard-changed': 'high',
      'fallback-handler-changed': 'high',
      'unknown-slot-written': 'high',
      'approval-written': 'critical',
      'nonce-rewritten': 'critical',
      'message-signed': 'medium',
    },
  },
  options: z.object({
    /** Lowering the threshold below this is critical. */
    minThreshold: z.number().int().min(1).default(2),
  }),
  check(ctx) {
    if (!ctx.simulation?.ok) return []
    const sim: Simulation = ctx.simulation.simulation
    const all = (changes: SafeChange[], owners?: Address[]) => [
      ...changes.flatMap((c) => judge(c, ctx)),
      ...countMismatch(changes, owners),
    ]
    const out = [
      ...all(sim.safeChanges, ctx.verification.safeState?.owners),
      ...sim.nestedSafeChanges.flatMap((n) =>
        all(n.changes).map((f) => ({ ...f, message: `on nested Safe ${label(n.safe, ctx)}: ${f.message}` })),
      ),
    ]
    // The guards see what it does once let through (intentOf): a guard that blocks it does not make
    // that harmless. Said for a guard that blocks it as signed; the custos Guard's hold is its job.
    if (sim.guard?.blocked && !sim.guard.custos)
      return out.map((f) => ({ ...f, message: `blocked by the Safe's guard, but intended: ${f.message}` }))
    return out
  },
})
