import type { Abi, Address, PublicClient } from 'viem'

/** Where Multicall3 lives on the chains that have it (the same address everywhere). */
export const MULTICALL3: Address = '0xcA11bde05977b3631167028862bE2a173976CA11'

export type ViewRead = { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] }

// Whether a chain has Multicall3, asked once per client (a failed check is asked again).
const present = new WeakMap<PublicClient, Promise<boolean>>()

function hasMulticall(client: PublicClient): Promise<boolean> {
  let known = present.get(client)
  if (!known) {
    known = client.getCode({ address: MULTICALL3 }).then((code) => code !== undefined && code !== '0x')
    present.set(client, known)
    known.catch(() => present.delete(client))
  }
  return known.catch(() => false)
}

/**
 * View calls in one round trip: one eth_call through Multicall3 where the chain has it, else
 * side by side. Each result is undefined where that call reverted or could not be made, exactly
 * as if it had been read alone.
 */
export async function readMany(client: PublicClient, reads: ViewRead[]): Promise<unknown[]> {
  if (reads.length === 0) return []
  const alone = () =>
    Promise.all(
      reads.map((r) => {
        const read = client.readContract({ ...r, args: r.args ?? [] } as never) as Promise<unknown>
        // A call that reverts (the contract lacks that function) or fails is undefined: absent.
        return read.catch(() => undefined)
      }),
    )
  if (reads.length === 1 || !(await hasMulticall(client))) return alone()
  try {
    const results = await client.multicall({
      contracts: reads.map((r) => ({ ...r, args: r.args ?? [] })) as never,
      allowFailure: true,
      multicallAddress: MULTICALL3,
    })
    return (results as Array<{ status: string; result?: unknown }>).map((r) =>
      r.status === 'success' ? r.result : undefined,
    )
  } catch {
    // The batch itself failed (a node refusing the large call, a transport error): one by one.
    return alone()
  }
}
