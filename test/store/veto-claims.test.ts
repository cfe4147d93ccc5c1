import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { VetoClaimRequest } from '../../src/model/store.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { openSqliteStore } from '../../src/store/sqlite.js'

// A veto is single-flight per proposal, whoever asks (two judgements, a chat press, a second
// process on the same file), and the rate limits are counted in the transaction that claims.
// The claims' contract runs on both stores in contract.ts; here what only the SQLite file has:
// the migration of older vetoes, and processes sharing one file.

const dir = mkdtempSync(join(tmpdir(), 'custos-claims-'))
let n = 0
const fresh = () => join(dir, `db-${n++}.sqlite`)
const SAFE = '0x1111111111111111111111111111111111111111'

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

describe('SQLite veto claims', () => {
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
