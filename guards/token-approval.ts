import { type Address, zeroAddress } from 'viem'
import { z } from 'zod'
import { flattenCalls } from '../src/model/calls.js'
import type { DecodedCall } from '../src/model/decoded.js'
import { defineGuard, type GuardFinding } from '../src/model/guard.js'
import type { Simulation } from '../src/model/simulation.js'
import { uint256 } from '../src/model/zod.js'
import { formatAmount } from '../src/score/amounts.js'
import { inBook, label } from '../src/score/describe.js'

type Approval =
  | { spender: Address; amount: bigint | 'all'; token: Address; what: string; tokenId?: bigint }
  | { revoke: true; spender: Address; token: Address }

/** The approval a call grants, if it is one, read by position from the decoded arguments. */
function approvalOf(c: DecodedCall): Approval | undefined {
  const fn = c.function
  if (!fn) return undefined
  const a = (i: number) => fn.args[i]?.value
  switch (fn.signature) {
    case 'approve(address,uint256)': {
      // ERC20 approve(spender, amount) and ERC721 approve(to, tokenId) share one signature.
      const amount = a(1) as bigint
      const spender = a(0) as Address
      return amount === 0n
        ? { revoke: true, spender, token: c.to }
        : { spender, amount, token: c.to, what: 'approve' }
    }
    case 'increaseAllowance(address,uint256)':
      return { spender: a(0) as Address, amount: a(1) as bigint, token: c.to, what: 'increaseAllowance' }
    case 'setApprovalForAll(address,bool)':
      return a(1) === true
        ? { spender: a(0) as Address, amount: 'all', token: c.to, what: 'setApprovalForAll' }
        : { revoke: true, spender: a(0) as Address, token: c.to }
    case 'permit(address,address,uint256,uint256,uint8,bytes32,bytes32)':
      return { spender: a(1) as Address, amount: a(2) as bigint, token: c.to, what: 'permit' }
    case 'approve(address,address,uint160,uint48)':
      return {
        spender: a(1) as Address,
        amount: a(2) as bigint,
        token: a(0) as Address,
        what: 'Permit2 approve',
      }
    default:
      return undefined
  }
}

/**
 * The approvals the simulation shows the executor granting, read from Approval and
 * ApprovalForAll events: the last one per token and spender is what stands after the transaction.
 * They catch what the calldata hides (a DELEGATECALL, a token's own non-standard function).
 */
function simulatedApprovals(sim: Simulation, executor: Address): Map<string, Approval> {
  const last = new Map<string, Approval>()
  for (const a of sim.approvals) {
    if (a.owner !== executor) continue
    // ERC721 clears a token's approval on transfer (to the zero address): not a grant.
    if (a.standard === 'erc721' && a.spender === zeroAddress) continue
    const key = `${a.token}:${a.spender}`
    if (a.standard === 'operator')
      last.set(
        key,
        a.approved
          ? { spender: a.spender, amount: 'all', token: a.token, what: 'ApprovalForAll' }
          : { revoke: true, spender: a.spender, token: a.token },
      )
    else if (a.standard === 'erc721')
      last.set(key, {
        spender: a.spender,
        amount: 1n,
        token: a.token,
        what: 'Approval',
        ...(a.tokenId !== undefined ? { tokenId: a.tokenId } : {}),
      })
    else
      last.set(
        key,
        a.amount === 0n
          ? { revoke: true, spender: a.spender, token: a.token }
          : { spender: a.spender, amount: a.amount ?? 0n, token: a.token, what: 'Approval' },
      )
  }
  return last
}

export default defineGuard({
  meta: {
    id: 'token-approval',
    description:
      'Token approvals, in the calldata and in the simulation: unlimited ones to spenders outside the address book are high, every other approval medium.',
    appliesTo: ['safe', 'governor', 'timelock', 'module'],
    needsSimulation: false,
    codes: {
      'unlimited-approval': 'high',
      approval: 'medium',
      'approval-revoked': 'info',
    },
  },
  options: z.object({
    /** Amounts at or above this (in base units) count as unlimited; the default is 2^128. */
    unlimitedFrom: uint256.default(2n ** 128n),
  }),
  check(ctx) {
    const out: GuardFinding[] = []
    const seen = new Set<string>()
    const judge = (a: Approval, path: string | undefined, source: string) => {
      seen.add(`${a.token}:${a.spender}`)
      if ('revoke' in a) {
        out.push({
          code: 'approval-revoked',
          severity: 'info',
          ...(path ? { path } : {}),
          message: `revokes the approval of ${label(a.spender, ctx)} on ${label(a.token, ctx)}${source}`,
        })
        return
      }
      const unlimited = a.amount === 'all' || a.amount >= ctx.options.unlimitedFrom
      const known = inBook(a.spender, ctx)
      const amount =
        a.amount === 'all'
          ? 'every token'
          : a.tokenId !== undefined
            ? `token #${a.tokenId}`
            : unlimited
              ? 'an unlimited amount'
              : formatAmount(a.amount, a.token, ctx.tokens)
      out.push({
        code: unlimited ? 'unlimited-approval' : 'approval',
        severity: unlimited && !known ? 'high' : 'medium',
        ...(path ? { path } : {}),
        message: `${a.what}: lets ${label(a.spender, ctx)}${known ? '' : ' (not in the address book)'} spend ${amount} of ${label(a.token, ctx)}${source}`,
      })
    }
    for (const c of flattenCalls(ctx.verification.call)) {
      const a = approvalOf(c)
      if (a) judge(a, c.path, '')
    }
    if (ctx.simulation?.ok) {
      // What the calldata already showed is judged once; the rest only the simulation saw.
      for (const [key, a] of simulatedApprovals(ctx.simulation.simulation, ctx.proposal.executor))
        if (!seen.has(key)) judge(a, undefined, ' (seen in the simulation, not in the calldata)')
    }
    return out
  },
})
