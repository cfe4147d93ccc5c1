import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, parseAbi } from 'viem'
import type { LabAccount } from '../../src/lab/index.js'
import { deployProtocol, type LabProtocol } from '../../src/lab/protocol/index.js'
import type { StoredProposal } from '../../src/model/store.js'
import { eventually, startBot, type World } from './watch-world.js'

// The protocol watchdogs on the lab: a fresh protocol per test (its own feeds and pool, so one
// test's warps and pauses do not leak into the next), and a bot watching only it.

export const poolAbi = parseAbi([
  'function paused() view returns (bool)',
  'function pause()',
  'function unpause()',
  'function withdrawReserves(address to, uint256 amount)',
  'function revokeRole(bytes32 role, address account)',
  'function grantRole(bytes32 role, address account)',
])

export type AlertJson = {
  kind: string
  level: string
  title: string
  summary: string
  proposalId?: string
  pause?: string
  findings: Array<{ guard: string; code: string; message: string }>
  dedupKey: string
}

/** The YAML-shaped `protocols` entry for `p` with these checks (and its pool's pause). */
export const protocolEntry = (world: World, p: LabProtocol, checks: unknown[], name = 'Lending market') => ({
  name,
  chainId: world.lab.chainId,
  address: p.pool,
  pauses: [{ name: 'pool', target: p.pool, function: 'pause()' }],
  checks,
})

export async function watchProtocol(
  world: World,
  p: LabProtocol,
  checks: unknown[],
  extra: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
  /** A store opened by the test (PostgreSQL, for replica settings); by default the bot's SQLite file. */
  store?: Parameters<typeof startBot>[5],
) {
  const since = Date.now()
  const bot = await startBot(
    world,
    {
      safes: [],
      protocols: [protocolEntry(world, p, checks)],
      sources: {
        txService: { enabled: false },
        chainEvents: { enabled: false },
        protocols: { intervalSeconds: 1 },
      },
      dataDir: mkdtempSync(join(tmpdir(), 'custos-protocol-')),
      ...extra,
    },
    undefined,
    env,
    undefined,
    store,
  )
  const received = () =>
    world.receiver
      .accepted()
      .filter((r) => r.at >= since)
      .map((r) => (r.json as unknown as { alert: AlertJson }).alert)
  const alerts = () => received().filter((a) => a.proposalId?.includes(`:check:${p.pool.toLowerCase()}:`))
  /** What every channel is told of a pause attempt. */
  const pauseNotices = () => received().filter((a) => a.kind !== 'report' && / · pause /.test(a.title))
  // The first round ran: what comes next is measured against a healthy start.
  await eventually(
    () => bot.watcher.status().ready.includes(`protocol:${world.lab.chainId}:${p.pool}`),
    20_000,
    'the first round',
  )
  const updates = () =>
    world.receiver
      .others()
      .filter((r) => r.at >= since && r.json.type === 'update')
      .map((r) => r.json.update as { proposalId: string; event: string; text: string })
      .filter((u) => u.proposalId.includes(`:check:${p.pool.toLowerCase()}:`))
  /** The alert of check `id` whose title says it was raised the `n`-th time (1 by default). */
  const alertOf = (id: string, n = 1) =>
    eventually(
      () => alerts().filter((a) => a.title.includes(`check ${id}`))[n - 1],
      20_000,
      `alert ${n} of check ${id}`,
    )
  const resolvedOf = (id: string) =>
    eventually(
      () => updates().find((u) => u.event === 'resolved' && u.proposalId.includes(`:${id}:`)),
      20_000,
      `check ${id} resolved`,
    )
  const episode = async (id: string): Promise<StoredProposal | undefined> =>
    (await bot.store.proposalsOf(world.lab.chainId, p.pool)).find(
      (x) => x.origin.kind === 'check' && x.origin.check === id,
    )
  return { bot, alerts, pauseNotices, updates, alertOf, resolvedOf, episode }
}

export async function freshProtocol(world: World): Promise<LabProtocol> {
  return deployProtocol(world.lab)
}

export const send = async (world: World, from: LabAccount, to: Address, data: `0x${string}`) => {
  const hash = await world.lab.wallet.sendTransaction({
    account: from.address,
    chain: null,
    to,
    data,
    gas: 500_000n,
  })
  const r = await world.lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
  if (r.status !== 'success') throw new Error(`lab: transaction to ${to} reverted`)
  return r
}
