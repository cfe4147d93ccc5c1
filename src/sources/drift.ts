import { type Address, getAddress, type Hex, type PublicClient, pad, parseAbi, zeroAddress } from 'viem'

const abi = parseAbi([
  'function getOwners() view returns (address[])',
  'function getThreshold() view returns (uint256)',
  'function getModulesPaginated(address start, uint256 pageSize) view returns (address[] array, address next)',
])
const GUARD_SLOT: Hex = '0x4a204f620c8c5ccdca3fd54d003badd85ba500436a431f0cbda4f558c93c34c8'
const FALLBACK_SLOT: Hex = '0x6c9a6c4a39284e37ed1cf53d337577d14212a4870fb976a4366c693b939918d5'
const SENTINEL: Address = '0x0000000000000000000000000000000000000001'

export type SafeConfigState = {
  owners: Address[]
  threshold: number
  guard: Address
  modules: Address[]
  fallbackHandler: Address
  singleton: Address
}

export type Expected = {
  owners?: Address[] | undefined
  threshold?: number | undefined
  guard?: Address | undefined
  modules?: Address[] | undefined
  fallbackHandler?: Address | undefined
  singleton?: Address | undefined
}

export type Drift = { field: keyof SafeConfigState; expected: string; actual: string }

/** The Safe's configuration as the chain has it now. */
export async function readSafeConfig(client: PublicClient, safe: Address): Promise<SafeConfigState> {
  const slot = async (s: Hex) => {
    const word = await client.getStorageAt({ address: safe, slot: s })
    return getAddress(`0x${pad(word ?? '0x0').slice(-40)}`)
  }
  const [owners, threshold, modules, guard, fallbackHandler, singleton] = await Promise.all([
    client.readContract({ address: safe, abi, functionName: 'getOwners' }),
    client.readContract({ address: safe, abi, functionName: 'getThreshold' }),
    readModules(client, safe),
    slot(GUARD_SLOT),
    slot(FALLBACK_SLOT),
    slot(pad('0x00')),
  ])
  return { owners: [...owners], threshold: Number(threshold), modules, guard, fallbackHandler, singleton }
}

/**
 * Every enabled module, page by page. A failed read fails the check: an empty list here would
 * read as "no modules" and hide exactly the module the watchdog is for.
 */
async function readModules(client: PublicClient, safe: Address): Promise<Address[]> {
  const out: Address[] = []
  let start: Address = SENTINEL
  for (let page = 0; page < 50; page++) {
    const [list, next] = await client.readContract({
      address: safe,
      abi,
      functionName: 'getModulesPaginated',
      args: [start, 100n],
    })
    out.push(...list)
    if (next === SENTINEL || next === zeroAddress || list.length === 0) return out
    start = next
  }
  throw new Error(`more than 5,000 modules on ${safe}`)
}

const set = (xs: Address[]) =>
  [...xs]
    .map((x) => x.toLowerCase())
    .sort()
    .join(',')

/** Every field of `expected` the chain disagrees with (lists compared as sets). */
export function compareConfig(expected: Expected, actual: SafeConfigState): Drift[] {
  const out: Drift[] = []
  const list = (field: 'owners' | 'modules') => {
    const want = expected[field]
    if (want && set(want) !== set(actual[field]))
      out.push({ field, expected: want.join(', ') || 'none', actual: actual[field].join(', ') || 'none' })
  }
  const one = (field: 'guard' | 'fallbackHandler' | 'singleton') => {
    const want = expected[field]
    if (want !== undefined && want.toLowerCase() !== actual[field].toLowerCase()) {
      out.push({
        field,
        expected: want === zeroAddress ? 'none' : want,
        actual: actual[field] === zeroAddress ? 'none' : actual[field],
      })
    }
  }
  list('owners')
  if (expected.threshold !== undefined && expected.threshold !== actual.threshold) {
    out.push({ field: 'threshold', expected: String(expected.threshold), actual: String(actual.threshold) })
  }
  list('modules')
  one('guard')
  one('fallbackHandler')
  one('singleton')
  return out
}
