import type { Address } from 'viem'
import { z } from 'zod'
import { argAddresses, flattenCalls } from '../src/model/calls.js'
import { defineGuard } from '../src/model/guard.js'

const ends = (a: Address) => `${a.slice(2, 6)}…${a.slice(-4)}`.toLowerCase()

export default defineGuard({
  meta: {
    id: 'address-lookalike',
    description:
      'A target or recipient that shares its first and last 4 hex digits with a known address but is a different address (address poisoning).',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: false,
    codes: {
      'lookalike-address': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    const known = new Map<string, { address: Address; name: string }[]>()
    const remember = (address: Address, name: string) =>
      known.set(ends(address), [...(known.get(ends(address)) ?? []), { address, name }])
    for (const e of ctx.addressBook) remember(e.address, e.name)
    remember(ctx.proposal.executor, 'this Safe')
    for (const o of ctx.verification.safeState?.owners ?? []) remember(o, 'an owner of this Safe')
    const reported = new Set<string>()
    return flattenCalls(ctx.verification.call).flatMap((c) =>
      [c.to, ...argAddresses(c.function?.args ?? [])].flatMap((a) => {
        const imitated = (known.get(ends(a)) ?? []).find((k) => k.address !== a)
        if (!imitated || known.get(ends(a))?.some((k) => k.address === a) || reported.has(a)) return []
        reported.add(a)
        return [
          {
            code: 'lookalike-address',
            severity: 'high' as const,
            path: c.path,
            message: `${a} looks like ${imitated.address} (${imitated.name}): same first and last 4 hex digits, different address`,
          },
        ]
      }),
    )
  },
})
