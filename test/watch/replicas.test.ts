import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { encodeFunctionData, getAddress, type Hex, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import type { LabAccount } from '../../src/lab/index.js'
import { type LocalPostgres, startPostgres } from '../../src/lab/postgres.js'
import { freePort } from '../../src/simulate/anvil.js'
import { botProcess, waitReady } from '../helpers/bot-process.js'
import { eventually, startWorld, type World } from '../helpers/watch-world.js'

// Three `custos run` replicas on one PostgreSQL database, watching the lab's Safe. The leader of
// a source (the Safe's transaction service, then the chain's Safe events, in turn) is killed
// with SIGKILL at random moments, six times, and comes back as a new process. Through it all:
// every proposal is alerted, each dedup key shown once on the channel, each critical proposal
// vetoed exactly once, and every execution on chain is seen (no block skipped).

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])

let world: World
let db: LocalPostgres
beforeAll(async () => {
  ;[world, db] = await Promise.all([startWorld(), startPostgres()])
  await world.lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
}, 60_000)
afterAll(async () => {
  await world?.stop()
  await db?.stop()
})

async function query<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    return (await client.query(text, values)).rows as T[]
  } finally {
    await client.end()
  }
}

/** The replica (by its configured name) holding a lease now, if any. */
async function leaderOf(lease: string): Promise<number | undefined> {
  const [row] = await query<{ holder: string }>(
    `SELECT holder FROM leases WHERE name = $1
     AND expires_at >= (extract(epoch from clock_timestamp()) * 1000)::bigint`,
    [lease],
  )
  const m = /^r(\d)-/.exec(row?.holder ?? '')
  return m ? Number(m[1]) : undefined
}

const pause = (min: number, max: number) =>
  new Promise((r) => setTimeout(r, min + Math.floor(Math.random() * (max - min))))

describe('replicas on PostgreSQL, the leader killed with SIGKILL at random points', () => {
  it('alerts every proposal once per dedup key, vetoes each critical one once, and skips no block', {
    timeout: 300_000,
  }, async () => {
    const guardian = world.owners.C as LabAccount
    const chainId = world.lab.chainId
    const replicas = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const dir = mkdtempSync(join(tmpdir(), `custos-replica-${i}-`))
        const port = await freePort()
        const config = world.rawConfig({
          dataDir: dir,
          server: { port },
          store: { driver: 'postgres', leaseSeconds: 3, replicaId: `r${i}` },
          logging: { level: 'info' },
          policy: { vetoAt: 'critical' },
          veto: {
            enabled: true,
            dryRun: false,
            keyEnv: 'CUSTOS_VETO_KEY',
            maxPerTargetPerHour: 20,
            maxPerHour: 20,
          },
        })
        const bot = botProcess(dir, config, { DATABASE_URL: db.url, CUSTOS_VETO_KEY: guardian.privateKey })
        return { bot, port, dir }
      }),
    )
    /** What a failure needs to be understood: the shared state and each replica's last words. */
    const dump = async (error: unknown): Promise<never> => {
      console.error('leases', await query('SELECT * FROM leases'))
      console.error('outbox', await query('SELECT id, dedup_key, status, claimed_by, attempts FROM outbox'))
      console.error('proposals', await query('SELECT id, status, level FROM proposals'))
      for (const [i, r] of replicas.entries()) console.error(`replica r${i}`, r.bot.output().slice(-4000))
      throw error
    }
    // Each delivery takes a while, so replicas polling the outbox meanwhile would send it again
    // if a row were not held by the one sending it.
    world.receiver.slow(150)
    for (const r of replicas) r.bot.start()
    await Promise.all(replicas.map((r) => waitReady(r.port, 60_000)))

    const sources = [`tx-service:${chainId}:${world.safe}`, `chain-events:${chainId}`]
    let kills = 0
    const chaos = (async () => {
      while (kills < 6) {
        await pause(500, 2000)
        const source = sources[kills % 2] as string
        const leader = await eventually(() => leaderOf(source), 30_000, `a leader of ${source}`)
        const r = replicas[leader] as (typeof replicas)[number]
        await r.bot.stop('SIGKILL')
        kills++
        r.bot.start()
      }
    })()

    // Three benign transfers (executed on chain as the chaos goes on) and three Bybit-style
    // DELEGATECALLs, which the policy vetoes.
    const benign: Array<{ hash: Hex; created: Awaited<ReturnType<World['propose']>>['created'] }> = []
    const critical: Hex[] = []
    for (let i = 0; i < 3; i++) {
      const p = await world.propose(world.owners.A, { to: ATTACKER, value: BigInt(i + 1), nonce: i })
      benign.push({ hash: p.safeTxHash, created: p.created })
      await pause(200, 600)
      critical.push(
        (
          await world.propose(world.owners.A, {
            to: MALICIOUS,
            data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 0n] }),
            operation: 1,
            nonce: 3 + i,
          })
        ).safeTxHash,
      )
      await pause(200, 600)
    }
    const kitA = await world.lab.kit(world.safe, world.owners.A)
    const kitB = await world.lab.kit(world.safe, world.owners.B)
    for (const b of benign) {
      // Signers execute what they were alerted about (and checked).
      await eventually(
        () => world.receiver.unique().some((k) => k.startsWith(`${chainId}:safe:${b.hash.toLowerCase()}`)),
        60_000,
        'the alert before the execution',
      )
      await pause(100, 800)
      await kitB.executeTransaction(await kitB.signTransaction(await kitA.signTransaction(b.created)))
    }
    await chaos

    const idOf = (h: Hex) => `${chainId}:safe:${h.toLowerCase()}`
    const keysFor = (h: Hex) => world.receiver.unique().filter((k) => k.startsWith(idOf(h)))
    const all = [...benign.map((b) => b.hash), ...critical]
    await eventually(
      () => (all.every((h) => keysFor(h).length > 0) ? true : undefined),
      90_000,
      'an alert for every proposal',
    ).catch(dump)
    // Every execution was seen on chain: the proposals are closed and the channel was told.
    const executed = async () =>
      (
        await query<{ id: string }>("SELECT id FROM proposals WHERE status = 'executed' AND id = ANY($1)", [
          benign.map((b) => idOf(b.hash)),
        ])
      ).length === benign.length
    await eventually(
      async () => ((await executed()) ? true : undefined),
      60_000,
      'every execution seen',
    ).catch(dump)
    // Each critical proposal: one veto recorded, its rejection in the service at its nonce.
    const vetoes = async () =>
      query<{ proposal_id: string; n: number }>(
        `SELECT proposal_id, count(*)::int AS n FROM vetoes WHERE kind = 'auto' AND status IN ('sent', 'proposed')
         AND proposal_id = ANY($1) GROUP BY proposal_id ORDER BY proposal_id`,
        [critical.map(idOf)],
      )
    await eventually(
      async () => ((await vetoes()).length === 3 ? true : undefined),
      90_000,
      'three vetoes',
    ).catch(dump)
    for (const b of benign)
      await eventually(
        () =>
          world.receiver
            .others()
            .some((r) => r.json.update?.proposalId === idOf(b.hash) && r.json.update.event === 'executed'),
        30_000,
        'the execution update',
      )
    // The replica killed last may still be starting (a SIGTERM before custos listens for it kills
    // it), and the leases it held name it until they run out and another replica takes them.
    await Promise.all(replicas.map((r) => waitReady(r.port, 60_000))).catch(dump)
    const running = await Promise.all(
      replicas.map(
        async (r) =>
          ((await (await fetch(`http://127.0.0.1:${r.port}/readyz`)).json()) as { replica: string }).replica,
      ),
    )
    await eventually(
      async () =>
        (await query<{ holder: string }>('SELECT holder FROM leases')).every((l) =>
          running.includes(l.holder),
        )
          ? true
          : undefined,
      30_000,
      'every lease held by a running replica',
    ).catch(dump)
    // Let anything still queued go out before counting.
    await pause(2000, 2001)
    const codes = await Promise.all(replicas.map((r) => r.bot.stop('SIGTERM')))
    expect(codes).toEqual(Array(3).fill({ code: 0, signal: null }))

    expect(kills).toBe(6)
    for (const h of all) expect(keysFor(h), h).toHaveLength(1)
    // At least once, and shown once: a repeat can only come from a replica killed mid-send.
    const keys = world.receiver
      .accepted()
      .map((r) => r.headers['idempotency-key'] as string)
      .filter((k) => all.some((h) => k.startsWith(idOf(h))))
    expect(keys.length - new Set(keys).size).toBeLessThanOrEqual(kills)
    expect((await vetoes()).map((v) => v.n)).toEqual([1, 1, 1])
    const pending = (await world.api.getPendingTransactions(world.safe)).results
    for (const nonce of ['3', '4', '5']) {
      const rejections = pending.filter(
        (t) => t.nonce === nonce && t.to === world.safe && (t.data ?? '0x') === '0x' && t.value === '0',
      )
      expect(rejections, `rejection at nonce ${nonce}`).toHaveLength(1)
      expect(rejections[0]?.confirmations?.map((c) => getAddress(c.owner))).toEqual([guardian.address])
    }
    // Nothing is left claimed or led by a replica that stopped; no fork is left running.
    expect(await query("SELECT * FROM leases WHERE holder LIKE 'r%'")).toEqual([])
    for (const r of replicas) {
      const pids = join(r.dir, 'forks.pid')
      if (existsSync(pids)) expect(readFileSync(pids, 'utf8')).toBe('')
    }
  })
})
