import type { Address } from 'viem'
import type { AddressBookEntry, GuardContext, TokenInfo } from '../model/guard.js'
import type { OfficialContract } from '../model/verification.js'

export type NameSources = {
  addressBook: AddressBookEntry[]
  tokens: TokenInfo[]
  official: Map<Address, OfficialContract>
  executor: Address
  /** How the executor is called: `this Safe` by default, `the timelock` for governance. */
  executorName?: string
  owners?: Address[]
}

/** What custos knows an address as: the address book first, then tokens, Safe's contracts, the Safe itself. */
export function nameOf(address: Address, s: NameSources): string | undefined {
  const book = s.addressBook.find((e) => e.address === address)
  if (book) return book.name
  const token = s.tokens.find((t) => t.address === address)
  if (token) return `${token.symbol} token`
  const official = s.official.get(address)
  if (official) return `official ${official.name} ${official.version}`
  if (address === s.executor) return s.executorName ?? 'this Safe'
  if (s.owners?.includes(address)) return 'owner'
  return undefined
}

/** An address as people should read it in a finding: in full, with a name when one is known. */
export function label(
  address: Address,
  ctx: Pick<GuardContext<unknown>, 'addressBook' | 'tokens' | 'verification' | 'proposal'>,
): string {
  const name = nameOf(address, {
    addressBook: ctx.addressBook,
    tokens: ctx.tokens,
    official: ctx.verification.official,
    executor: ctx.proposal.executor,
    ...(ctx.proposal.origin.kind === 'safe' ? {} : { executorName: 'the executor' }),
    ...(ctx.verification.safeState ? { owners: ctx.verification.safeState.owners } : {}),
  })
  return name ? `${address} (${name})` : address
}

export const inBook = (address: Address, ctx: Pick<GuardContext<unknown>, 'addressBook'>): boolean =>
  ctx.addressBook.some((e) => e.address === address)
