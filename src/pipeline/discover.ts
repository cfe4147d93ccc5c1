import { type Address, getAddress, type PublicClient, parseAbi, zeroAddress } from 'viem'
import { InputError, RetryableError } from '../model/errors.js'
import { errorText, transportFailure } from '../model/redact.js'
import { readSafeConfig, type SafeConfigState } from '../sources/drift.js'
import { readGovernanceParams } from '../sources/governance-chain.js'
import { readSafeState } from '../verify/chain.js'

// What `custos init` reads about the things a user asks it to watch: enough to write their
// configuration, and to refuse an address that is not what the user said it is.

export type DiscoveredSafe = SafeConfigState & { address: Address; version: string; nonce: bigint }

export type DiscoveredGovernor = {
  address: Address
  flavor: 'oz' | 'bravo'
  timelock?: Address
  /** The timelock's minimum delay (s). */
  delay?: bigint
  guardian?: Address
}

export type DiscoveredTimelock = { address: Address; delay: bigint }

const probeAbi = parseAbi([
  'function proposalSnapshot(uint256 proposalId) view returns (uint256)',
  'function votingPeriod() view returns (uint256)',
  'function getMinDelay() view returns (uint256)',
  'function delay() view returns (uint256)',
])

/** Reads a call that a contract of another kind would not answer; a dead node is an error. */
async function probe(client: PublicClient, address: Address, functionName: string, args: unknown[] = []) {
  try {
    return (await client.readContract({ address, abi: probeAbi, functionName, args } as never)) as bigint
  } catch (error) {
    if (transportFailure(error)) throw new RetryableError(errorText(error), { cause: error })
    return undefined
  }
}

async function hasCode(client: PublicClient, address: Address, chainId: number, what: string) {
  let code: string | undefined
  try {
    code = await client.getCode({ address })
  } catch (error) {
    throw new RetryableError(errorText(error), { cause: error })
  }
  if (!code || code === '0x')
    throw new InputError(`${address} has no code on chain ${chainId}: not a ${what}`)
}

/** A Safe's version, nonce and the configuration the drift watchdog pins. */
export async function discoverSafe(client: PublicClient, address: Address): Promise<DiscoveredSafe> {
  let state: Awaited<ReturnType<typeof readSafeState>>
  try {
    state = await readSafeState(client, address)
  } catch (error) {
    if (error instanceof RetryableError && !transportFailure(error.cause))
      throw new InputError(
        `${address} is not a Safe: it does not answer VERSION, getOwners, getThreshold and nonce`,
        {
          cause: error,
        },
      )
    throw error
  }
  let config: SafeConfigState
  try {
    config = await readSafeConfig(client, address)
  } catch (error) {
    if (transportFailure(error)) throw new RetryableError(errorText(error), { cause: error })
    throw new InputError(`${address} (Safe ${state.version}): cannot read its modules: ${errorText(error)}`, {
      cause: error,
    })
  }
  return { address, version: state.version, nonce: state.nonce, ...config }
}

/** A governor's flavour, its timelock and delay, and its proposal guardian. */
export async function discoverGovernor(
  client: PublicClient,
  address: Address,
  chainId: number,
): Promise<DiscoveredGovernor> {
  await hasCode(client, address, chainId, 'governor')
  // OpenZeppelin governors answer proposalSnapshot (0 for an unknown id); Bravo-style ones do not.
  const flavor =
    (await probe(client, address, 'proposalSnapshot', [0n])) !== undefined
      ? 'oz'
      : (await probe(client, address, 'votingPeriod')) !== undefined
        ? 'bravo'
        : undefined
  if (!flavor)
    throw new InputError(
      `${address} is not a governor: it answers neither proposalSnapshot (OpenZeppelin) nor votingPeriod (Bravo)`,
    )
  const params = await readGovernanceParams(client, { governor: address, flavor })
  const timelock = params.timelock && params.timelock !== zeroAddress ? params.timelock : undefined
  const guardian =
    params.proposalGuardian && params.proposalGuardian !== zeroAddress ? params.proposalGuardian : undefined
  return {
    address,
    flavor,
    ...(timelock ? { timelock } : {}),
    ...(params.timelockMinDelay !== undefined ? { delay: params.timelockMinDelay } : {}),
    ...(guardian ? { guardian: getAddress(guardian) } : {}),
  }
}

/** A TimelockController (operations scheduled on it directly) and its minimum delay. */
export async function discoverTimelock(
  client: PublicClient,
  address: Address,
  chainId: number,
): Promise<DiscoveredTimelock> {
  await hasCode(client, address, chainId, 'timelock')
  const delay = await probe(client, address, 'getMinDelay')
  if (delay !== undefined) return { address, delay }
  if ((await probe(client, address, 'delay')) !== undefined)
    throw new InputError(
      `${address} is a Compound-style timelock, not a TimelockController: watch the governor that queues on it (--governor)`,
    )
  throw new InputError(`${address} is not a TimelockController: it does not answer getMinDelay`)
}
