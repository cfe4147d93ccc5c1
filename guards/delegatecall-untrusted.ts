import { z } from 'zod'
import { flattenCalls } from '../src/model/calls.js'
import { defineGuard } from '../src/model/guard.js'
import { address } from '../src/model/zod.js'
import { label } from '../src/score/describe.js'

// The libraries Safe built to be delegatecalled. MultiSend (not CallOnly) is left out by default:
// it can itself delegatecall anything, which is how most delegatecall attacks are wrapped.
const TRUSTED = new Set(['MultiSendCallOnly', 'SignMessageLib', 'SafeMigration'])

export default defineGuard({
  meta: {
    id: 'delegatecall-untrusted',
    description:
      'A DELEGATECALL, at any depth, to anything but the official Safe libraries or an allowlisted contract.',
    appliesTo: ['safe', 'module'],
    needsSimulation: false,
    codes: {
      'untrusted-delegatecall': 'critical',
    },
  },
  options: z.object({
    /** Contracts you have reviewed and trust to run with the Safe's storage. */
    allow: z.array(address).default([]),
    /** Also trust the official MultiSend (its inner calls are still checked one by one). */
    trustOfficialMultiSend: z.boolean().default(false),
  }),
  check(ctx) {
    const allowed = new Set(ctx.options.allow)
    return flattenCalls(ctx.verification.call)
      .filter((c) => c.operation === 1)
      .filter((c) => {
        const official = ctx.verification.official.get(c.to)
        if (allowed.has(c.to)) return false
        if (official && TRUSTED.has(official.name)) return false
        return !(official?.name === 'MultiSend' && ctx.options.trustOfficialMultiSend)
      })
      .map((c) => ({
        code: 'untrusted-delegatecall',
        severity: 'critical' as const,
        path: c.path,
        message: `DELEGATECALL to ${label(c.to, ctx)}${c.function ? ` calling ${c.function.signature}` : ''}: that code runs with the Safe's own storage and can replace its singleton, owners, modules or guard`,
      }))
  },
})
