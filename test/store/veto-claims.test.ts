import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { VETO_LEASE_MS, type VetoClaimRequest } from '../../src/model/store.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { openSqliteStore } from '../../src/store/sqlite.js'

// A veto is single-flight per proposal, whoever asks (two judgements, a chat press, a second
// process on the same file), and the rate limits are counted in the transaction that claims.

const dir = mkdtempSync(join(tmpdir(), 'custos-claims-'))
let n = 0
const fresh = () => join(dir, `db-${n++}.sqlite`)
const HOUR = 3_600_000
const SAFE = '0x1111111111111111111111111111111111111111'
const OTHER = '0x2222222222222222222222222222222222222222'

/** A request for `proposalId` (`limits: undefined`: a signer's press, unlimited). */
const claim = (
  proposalId: string,
  over: Omit<Partial<VetoClaimRequest>, 'limits'> & { limits?: VetoClaimRequest['limits'] | undefined } = {},
): VetoClaimRequest => {
  const { limits, ...rest } = { limits: { perTarget: 10, total: 10, since: 0 }, ...over }
  return {
    proposalId,
    chainId: 1,
    target: SAFE,
    kind: 'auto',
    dryRun: false,
    ...rest,
    ...(limits ? { limits } : {}),
  }
}
const settle = (proposalId: string, token: string, status: 'sent' | 'proposed' | 'failed' | 'dry-run') => ({
  vetoes: [{ proposalId, kind: 'auto' as const, status, claim: token }],
})

describe('veto claims', () => {
  it('grants one attempt per proposal; a settled veto holds, a failed one is released', async () => {
    const store = openSqliteStore(fresh())
    const first = await store.claimVeto(claim('p1'))
    if (!first.granted) throw new Error('not granted')
    expect(await store.claimVeto(claim('p1', { kind: 'chat' }))).toEqual({ granted: false, reason: 'acting' })
    await store.commit(settle('p1', first.token, 'failed'))
    const again = await store.claimVeto(claim('p1'))
    if (!again.granted) throw new Error('not granted after a failure')
    // An outcome under a stale token settles nothing.
    await store.commit(settle('p1', first.token, 'proposed'))
    expect(await store.claimVeto(claim('p1'))).toEqual({ granted: false, reason: 'acting' })
    await store.commit(settle('p1', again.token, 'proposed'))
    expect(await store.claimVeto(claim('p1', { kind: 'chat', limits: undefined }))).toEqual({
      granted: false,
      reason: 'done',
      status: 'proposed',
    })
    await store.close()
  })

  it('holds a dry run only while custos is in dry run', async () => {
    const store = openSqliteStore(fresh())
    const dry = await store.claimVeto(claim('p1', { dryRun: true }))
    if (!dry.granted) throw new Error('not granted')
    await store.commit(settle('p1', dry.token, 'dry-run'))
    expect(await store.claimVeto(claim('p1', { dryRun: true }))).toMatchObject({ reason: 'done' })
    // Live now: the dry run's claim is taken over, and counted once.
    const live = await store.claimVeto(claim('p1'))
    expect(live.granted).toBe(true)
    expect(await store.vetoesSince(0)).toBe(1)
    await store.close()
  })

  it('takes over a claim left acting by a process that died, after the lease', async () => {
    let now = 1_000_000
    const store = openSqliteStore(fresh(), () => now)
    expect((await store.claimVeto(claim('p1'))).granted).toBe(true)
    now += VETO_LEASE_MS - 1
    expect(await store.claimVeto(claim('p1'))).toEqual({ granted: false, reason: 'acting' })
    now += 2
    expect((await store.claimVeto(claim('p1'))).granted).toBe(true)
    await store.close()
  })

  it('counts maxPerTargetPerHour per chain and address, maxPerHour in all, within the hour', async () => {
    let now = 10 * HOUR
    const store = openSqliteStore(fresh(), () => now)
    const limits = () => ({ perTarget: 1, total: 3, since: now - HOUR })
    const ask = (id: string, chainId: number, target: string) =>
      store.claimVeto(claim(id, { chainId, target, limits: limits() }))
    expect((await ask('a', 1, SAFE)).granted).toBe(true)
    // The same Safe on chain 1 (any spelling of its address): its budget is spent.
    expect(await ask('b', 1, SAFE.toUpperCase().replace('0X', '0x'))).toEqual({
      granted: false,
      reason: 'rate-limited',
      perTarget: 1,
      total: 1,
    })
    // The same address on chain 10 is another Safe, with its own budget; so is another address.
    expect((await ask('c', 10, SAFE)).granted).toBe(true)
    expect((await ask('d', 1, OTHER)).granted).toBe(true)
    // Three in all this hour: maxPerHour stops a fourth target.
    expect(await ask('e', 5, SAFE)).toMatchObject({ granted: false, reason: 'rate-limited', total: 3 })
    // A signer's press is not limited, but counts.
    expect((await store.claimVeto(claim('f', { chainId: 5, limits: undefined, kind: 'chat' }))).granted).toBe(
      true,
    )
    expect(await store.vetoesSince(now - HOUR)).toBe(4)
    expect(await store.vetoesSince(now - HOUR, { chainId: 1, address: SAFE })).toBe(1)
    // An hour later the budgets are back.
    now += HOUR + 1
    expect((await ask('b', 1, SAFE)).granted).toBe(true)
    await store.close()
  })

  it('carries vetoes recorded before the claims existed into claims', async () => {
    const path = fresh()
    const old = new Database(path)
    for (const m of MIGRATIONS.slice(0, 2)) old.exec(m as string)
    old.pragma('user_version = 2')
    old.exec(`INSERT INTO proposals (id, chain_id, safe, nonce, safe_tx_hash, fingerprint, status, first_seen, last_seen)
      VALUES ('p1', 1, '${SAFE}', '1', '0x', 'f', 'pending', 0, 0), ('p2', 1, '${SAFE}', '2', '0x', 'f', 'pending', 0, 0)`)
    old.exec(`INSERT INTO vetoes (proposal_id, kind, status, created_at) VALUES
      ('p1', 'auto', 'dry-run', 1), ('p1', 'chat', 'proposed', 2), ('p1', 'auto', 'dry-run', 3),
      ('p2', 'auto', 'failed', 4)`)
    old.close()
    const store = openSqliteStore(path)
    expect(await store.claimVeto(claim('p1'))).toEqual({ granted: false, reason: 'done', status: 'proposed' })
    expect((await store.claimVeto(claim('p2'))).granted).toBe(true)
    await store.close()
  })

  it('grants exactly one of many processes claiming the same proposal at the same moment', {
    timeout: 30_000,
  }, async () => {
    const path = fresh()
    await openSqliteStore(path).close()
    const script = join(dir, 'claim.mjs')
    const store = new URL('../../dist/src/store/sqlite.js', import.meta.url).href
    writeFileSync(
      script,
      `import { openSqliteStore } from '${store}'
const store = openSqliteStore(process.argv[2])
// Everyone starts at the same instant.
await new Promise((r) => setTimeout(r, Number(process.argv[3]) - Date.now()))
const c = await store.claimVeto({ proposalId: 'p1', chainId: 1, target: '${SAFE}', kind: 'auto', dryRun: false,
  limits: { perTarget: 5, total: 5, since: 0 } })
process.stdout.write(JSON.stringify(c))
await store.close()
`,
    )
    const at = Date.now() + 1500
    const results = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<{ granted: boolean; reason?: string }>((resolve, reject) => {
            const child = spawn('node', [script, path, String(at)], { stdio: ['ignore', 'pipe', 'inherit'] })
            let out = ''
            child.stdout.on('data', (d) => (out += d))
            child.on('exit', (code) =>
              code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)),
            )
          }),
      ),
    )
    expect(results.filter((r) => r.granted)).toHaveLength(1)
    expect(results.filter((r) => !r.granted).map((r) => r.reason)).toEqual(Array(5).fill('acting'))
  })
})
