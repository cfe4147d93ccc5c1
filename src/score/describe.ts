import type { Address } from 'viem'
import type { GuardContext } from '../model/guard.js'

/** An address as people should read it in a finding: in full, with a name when one is known. */
export function label(
  address: Address,
  ctx: Pick<GuardContext<unknown>, 'addressBook' | 'verification' | 'proposal'>,
): string {
  const book = ctx.addressBook.find((e) => e.address === address)
  if (book) return `${address} (${book.name})`
  const official = ctx.verification.official.get(address)
  if (official) return `${address} (official ${official.name} ${official.version})`
  if (address === ctx.proposal.executor) return `${address} (this Safe)`
  return address
}

export const inBook = (address: Address, ctx: Pick<GuardContext<unknown>, 'addressBook'>): boolean =>
  ctx.addressBook.some((e) => e.address === address)
