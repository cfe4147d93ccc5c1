import { type Address, encodeFunctionData, type Hash, keccak256, toHex } from 'viem'
import { deploy, mined } from '../governance/chain.js'
import type { Lab, LabAccount } from '../index.js'
import { ensureMulticall3 } from '../multicall3.js'
import { loadProtocolArtifacts, type ProtocolArtifacts } from './compile.js'

// The lab's protocol: a lending pool priced by a Chainlink feed (a proxy in front of Chainlink's
// mock aggregator, with bounds), a second feed to compare it with, the real Optimism sequencer
// uptime feed behind a lab messenger, and Multicall3. Accounts: 0 deploys and administers the
// pool, 6 is its pause guardian, 5 the L1 sender the uptime feed trusts.

export {
  loadProtocolArtifacts,
  type ProtocolArtifacts,
  protocolCacheKey,
  readCachedProtocolArtifacts,
} from './compile.js'

/** The feed's price: 2,000 tokens per ETH, 8 decimals, as Chainlink's ETH/USD. */
export const LAB_PRICE = 2000n * 10n ** 8n
/** The aggregator's bounds: a live aggregator never reports outside them. */
export const LAB_BOUNDS = { min: 1n * 10n ** 8n, max: 1_000_000n * 10n ** 8n }
/** The pool's target reserves, in the lab token's units (its whole supply is 10^15: room for many pools). */
export const LAB_TARGET_RESERVES = 10n ** 12n
export const PAUSE_GUARDIAN_ROLE: Hash = keccak256(toHex('PAUSE_GUARDIAN_ROLE'))

export type LabProtocol = {
  /** What the pool reads: the proxy. */
  feed: Address
  /** The aggregator behind the proxy (its bounds, its rounds). */
  aggregator: Address
  /** A second source for the same price. */
  secondFeed: Address
  sequencer: Address
  messenger: Address
  pool: Address
  admin: LabAccount
  guardian: LabAccount
  l1Sender: LabAccount
  artifacts: ProtocolArtifacts
  /** A new round on the main feed (or the second one) at the chain's current time. */
  setPrice(answer: bigint, which?: 'main' | 'second'): Promise<void>
  /** The sequencer goes down (true) or comes back up (false), as its L1 validator reports it. */
  setSequencerDown(down: boolean): Promise<void>
  /** Moves the chain's clock forward and mines a block. */
  warp(seconds: number): Promise<void>
}

export async function deployProtocol(lab: Lab, opts: { targetReserves?: bigint } = {}): Promise<LabProtocol> {
  const artifacts = await loadProtocolArtifacts()
  const c = artifacts.contracts
  const [admin, , , , , l1Sender, guardian] = lab.accounts as LabAccount[]
  if (!admin || !guardian || !l1Sender) throw new Error('lab: the protocol needs the 10 dev accounts')
  await ensureMulticall3(lab)
  const aggregator = await deploy(lab, admin.address, c.LabAggregator, [
    8,
    LAB_PRICE,
    LAB_BOUNDS.min,
    LAB_BOUNDS.max,
  ])
  const feed = await deploy(lab, admin.address, c.LabFeedProxy, [aggregator])
  const secondFeed = await deploy(lab, admin.address, c.LabAggregator, [
    8,
    LAB_PRICE,
    LAB_BOUNDS.min,
    LAB_BOUNDS.max,
  ])
  const messenger = await deploy(lab, admin.address, c.LabL2Messenger, [])
  // Reads from contracts (Multicall3 among them) need the access list, as on a real L2; custos
  // reads the feed alone when a batched read is refused.
  const sequencer = await deploy(lab, admin.address, c.OptimismSequencerUptimeFeed, [
    l1Sender.address,
    messenger,
    false,
  ])
  const targetReserves = opts.targetReserves ?? LAB_TARGET_RESERVES
  const pool = await deploy(lab, admin.address, c.LabLendingPool, [
    lab.token,
    feed,
    targetReserves,
    admin.address,
    guardian.address,
  ])
  // Reserves above the target, and a lender.
  await mined(
    lab,
    lab.wallet.writeContract({
      account: admin.address,
      chain: null,
      address: lab.token,
      abi: ERC20,
      functionName: 'transfer',
      args: [pool, targetReserves * 2n],
    }),
    'seed reserves',
  )

  // A fixed gas limit: anvil's estimate for a new round, taken while custos reads the feed at a
  // pinned block, has come out short (out of gas).
  const send = (to: Address, data: `0x${string}`, what: string, from: Address = admin.address) =>
    mined(lab, lab.wallet.sendTransaction({ account: from, chain: null, to, data, gas: 500_000n }), what)
  return {
    feed,
    aggregator,
    secondFeed,
    sequencer,
    messenger,
    pool,
    admin,
    guardian,
    l1Sender,
    artifacts,
    async setPrice(answer, which = 'main') {
      const data = encodeFunctionData({
        abi: c.LabAggregator.abi,
        functionName: 'updateAnswer',
        args: [answer],
      })
      await send(which === 'main' ? aggregator : secondFeed, data, 'price update')
    },
    async setSequencerDown(down) {
      const block = await lab.public.getBlock({ blockTag: 'latest' })
      const update = encodeFunctionData({
        abi: c.OptimismSequencerUptimeFeed.abi,
        functionName: 'updateStatus',
        args: [down, block.timestamp],
      })
      const data = encodeFunctionData({
        abi: c.LabL2Messenger.abi,
        functionName: 'relay',
        args: [l1Sender.address, sequencer, update],
      })
      await send(messenger, data, 'sequencer status')
    },
    async warp(seconds) {
      await lab.test.increaseTime({ seconds })
      await lab.test.mine({ blocks: 1 })
    },
  }
}

const ERC20 = [
  {
    type: 'function',
    name: 'transfer',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'to', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
] as const
