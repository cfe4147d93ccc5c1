import { type Address, zeroAddress, zeroHash } from 'viem'
import { z } from 'zod'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import type { PermissionChange } from '../src/model/simulation.js'
import { inBook, label } from '../src/score/describe.js'

export default defineGuard({
  meta: {
    id: 'permission-change',
    description:
      'Ownership transfers (Ownable and Ownable2Step), role grants, revocations and role-admin changes, admin changes in the simulated logs (the Radiant pattern): critical when control goes outside the address book.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: true,
    codes: {
      'control-to-unknown': 'critical',
      'permission-changed': 'high',
      'control-renounced': 'high',
      'role-revoked': 'high',
      'role-admin-changed': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    if (!ctx.simulation?.ok) return []
    const trusted = (a: Address) => inBook(a, ctx) || a === ctx.proposal.executor
    return ctx.simulation.simulation.permissionChanges.map((p: PermissionChange): GuardFinding => {
      const where = label(p.contract, ctx)
      if (p.kind === 'role-admin-changed') {
        return {
          code: 'role-admin-changed',
          severity: 'high',
          message: `makes role ${p.adminRole} the admin of role ${p.role} on ${where}`,
        }
      }
      const account = p.account ?? zeroAddress
      const to = label(account, ctx)
      if (p.kind === 'role-revoked')
        return {
          code: 'role-revoked',
          severity: 'high',
          message: `revokes role ${p.role} from ${to} on ${where}`,
        }
      if (account === zeroAddress) {
        return {
          code: 'control-renounced',
          severity: 'high',
          message: `renounces ${p.kind === 'admin' ? 'the admin' : 'ownership'} of ${where}: nobody controls it afterwards`,
        }
      }
      // Control handed over: ownership (also pending, as the new owner can accept it alone),
      // the proxy admin, or the role that administers all roles.
      const control =
        p.kind === 'ownership' ||
        p.kind === 'ownership-pending' ||
        p.kind === 'admin' ||
        (p.kind === 'role-granted' && p.role === zeroHash)
      const what =
        p.kind === 'ownership'
          ? 'ownership'
          : p.kind === 'ownership-pending'
            ? 'pending ownership (the new owner only has to accept)'
            : p.kind === 'admin'
              ? 'the proxy admin'
              : `role ${p.role === zeroHash ? 'DEFAULT_ADMIN_ROLE' : p.role}`
      const outside = !trusted(account)
      return {
        code: control && outside ? 'control-to-unknown' : 'permission-changed',
        severity: control && outside ? 'critical' : 'high',
        message: `gives ${what} of ${where} to ${to}${outside ? ', which is not in the address book' : ''}`,
      }
    })
  },
})
