import type { Address } from 'viem'
import { flattenCalls } from '../model/calls.js'
import type { DecodedCall } from '../model/decoded.js'
import type { GuardContext } from '../model/guard.js'
import { inBook, label } from './describe.js'

type Ctx = Pick<GuardContext<unknown>, 'addressBook' | 'tokens' | 'verification' | 'proposal' | 'governance'>

/** Address equality whatever the case (facts read from different sources may differ in checksum). */
export const sameAddress = (a: string, b: string | null | undefined): boolean =>
  typeof b === 'string' && a.toLowerCase() === b.toLowerCase()

/** label(), except that a proposal's executor is its timelock or governor, not "this Safe". */
export function who(address: Address, ctx: Ctx): string {
  const g = ctx.governance
  const role = sameAddress(address, g?.timelock)
    ? 'the timelock'
    : sameAddress(address, g?.governor)
      ? 'the governor'
      : sameAddress(address, ctx.proposal.executor) && ctx.proposal.origin.kind !== 'safe'
        ? 'the executor'
        : undefined
  return role && !inBook(address, ctx) ? `${address} (${role})` : label(address, ctx)
}

/**
 * Every decoded call of the proposal, depth first. The root of a governance proposal is synthetic
 * (its children are the proposal's calls, each sent by the executor), so it is left out.
 */
export function proposalCalls(ctx: Pick<GuardContext<unknown>, 'verification'>): DecodedCall[] {
  const root = ctx.verification.call
  return flattenCalls(root).filter((c) => c !== root || root.calls === undefined)
}
