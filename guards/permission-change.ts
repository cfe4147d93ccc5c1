import { zeroAddress, zeroHash } from 'viem'
import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import type { PermissionChange } from '../src/model/simulation.js'
import { inBook, label } from '../src/score/describe.js'

export default defineGuard({
  meta: {
    id: 'permission-change',
    description:
      'Ownership transfers, role grants and revocations, admin changes in the simulated logs (the Radiant pattern): critical when control goes outside the address book.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    maxSeverity: 'critical',
  },
  options: z.object({}),
  check(ctx) {
    if (!ctx.simulation?.ok) return []
    const trusted = (a: string) => inBook(a as never, ctx) || a === ctx.proposal.executor
    return ctx.simulation.simulation.permissionChanges.map((p: PermissionChange): GuardFinding => {
      const where = label(p.contract, ctx)
      const to = label(p.account, ctx)
      // Control handed over: ownership, the admin, or the role that administers all roles.
      const control =
        p.kind === 'ownership' || p.kind === 'admin' || (p.kind === 'role-granted' && p.role === zeroHash)
      if (p.kind === 'role-revoked') {
        return {
          code: 'role-revoked',
          severity: 'high',
          message: `revokes role ${p.role} from ${to} on ${where}`,
        }
      }
      if (p.account === zeroAddress) {
        return {
          code: 'control-renounced',
          severity: 'high',
          message: `renounces ${p.kind === 'admin' ? 'the admin' : 'ownership'} of ${where}: nobody controls it afterwards`,
        }
      }
      const what =
        p.kind === 'ownership'
          ? 'ownership'
          : p.kind === 'admin'
            ? 'the proxy admin'
            : `role ${p.role === zeroHash ? 'DEFAULT_ADMIN_ROLE' : p.role}`
      const outside = !trusted(p.account)
      return {
        code: control && outside ? 'control-to-unknown' : 'permission-changed',
        severity: control && outside ? 'critical' : 'high',
        message: `gives ${what} of ${where} to ${to}${outside ? ', which is not in the address book' : ''}`,
      }
    })
  },
})
