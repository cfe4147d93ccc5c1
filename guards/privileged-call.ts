import { type Address, type Hex, zeroAddress, zeroHash } from 'viem'
import { z } from 'zod'
import { flattenCalls } from '../src/model/calls.js'
import type { DecodedCall } from '../src/model/decoded.js'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import { inBook, label } from '../src/score/describe.js'

type Rule = { what: string; grantee?: (c: DecodedCall) => Address; control?: (c: DecodedCall) => boolean }
const arg = (c: DecodedCall, i: number) => c.function?.args[i]?.value

// By signature (and argument position): calls that hand over or change control of a contract,
// whatever a UI says the transaction is. The simulation confirms with events; this needs none.
const RULES: Record<string, Rule> = {
  'transferOwnership(address)': {
    what: 'transfers ownership',
    grantee: (c) => arg(c, 0) as Address,
    control: () => true,
  },
  'renounceOwnership()': { what: 'renounces ownership' },
  'grantRole(bytes32,address)': {
    what: 'grants a role',
    grantee: (c) => arg(c, 1) as Address,
    control: (c) => arg(c, 0) === zeroHash,
  },
  'revokeRole(bytes32,address)': { what: 'revokes a role' },
  'renounceRole(bytes32,address)': { what: 'renounces a role' },
  'upgradeTo(address)': { what: 'upgrades the proxy implementation' },
  'upgradeToAndCall(address,bytes)': { what: 'upgrades the proxy implementation and calls it' },
  'changeAdmin(address)': {
    what: 'changes the proxy admin',
    grantee: (c) => arg(c, 0) as Address,
    control: () => true,
  },
  'upgrade(address,address)': { what: 'upgrades a proxy through its ProxyAdmin' },
  'upgradeAndCall(address,address,bytes)': { what: 'upgrades a proxy through its ProxyAdmin and calls it' },
  'changeProxyAdmin(address,address)': {
    what: 'changes a proxy admin',
    grantee: (c) => arg(c, 1) as Address,
    control: () => true,
  },
  'setProposalGuardian(address)': {
    what: 'changes the proposal guardian',
    grantee: (c) => arg(c, 0) as Address,
  },
  'updateTimelock(address)': {
    what: 'changes the governor timelock',
    grantee: (c) => arg(c, 0) as Address,
    control: () => true,
  },
  '_setPendingAdmin(address)': {
    what: 'sets a pending admin',
    grantee: (c) => arg(c, 0) as Address,
    control: () => true,
  },
}

export default defineGuard({
  meta: {
    id: 'privileged-call',
    description:
      'Calls that transfer ownership, grant or revoke roles, upgrade proxies or change admins (Radiant), read from the calldata: critical when control goes outside the address book.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: false,
    codes: {
      'control-to-unknown': 'critical',
      'privileged-call': 'high',
    },
  },
  options: z.object({}),
  check(ctx) {
    const out: GuardFinding[] = []
    for (const c of flattenCalls(ctx.verification.call)) {
      const rule = c.function ? RULES[c.function.signature] : undefined
      if (!rule) continue
      const grantee = rule.grantee?.(c)
      const control = rule.control?.(c) ?? false
      const outside =
        grantee !== undefined &&
        grantee !== zeroAddress &&
        grantee !== ctx.proposal.executor &&
        !inBook(grantee, ctx)
      const role = c.function?.signature.includes('Role')
        ? ` ${(arg(c, 0) as Hex) === zeroHash ? 'DEFAULT_ADMIN_ROLE' : arg(c, 0)}`
        : ''
      out.push({
        code: control && outside ? 'control-to-unknown' : 'privileged-call',
        severity: control && outside ? 'critical' : 'high',
        path: c.path,
        message: `${rule.what}${role} on ${label(c.to, ctx)}${grantee ? ` to ${label(grantee, ctx)}${outside ? ', which is not in the address book' : ''}` : ''}`,
      })
    }
    return out
  },
})
