import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalPostgres, startPostgres } from '../../src/lab/postgres.js'
import { lockDataDir } from '../../src/store/lock.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { proposal } from '../store/contract.js'
import { cli } from './run.js'

// Moving to replicas (`custos store migrate`) and looking at them (`custos status`).

let server: LocalPostgres
beforeAll(async () => {
  server = await startPostgres()
}, 60_000)
afterAll(() => server?.stop())
const dir = mkdtempSync(join(tmpdir(), 'custos-cli-store-'))

describe('custos store migrate --from sqlite:FILE --to postgres', () => {
  it('copies every row, ids and typed origins kept, the audit log whole; new ids continue after', async () => {
    const file = join(dir, 'old.db')
    const old = openSqliteStore(file)
    await old.commit({
      proposals: [proposal('p1', 2n ** 70n), proposal('p2', 3n)],
      reports: [
        { proposalId: 'p1', fingerprint: 'f', level: 'critical', score: 90, findings: [], json: { a: 1 } },
        { proposalId: 'p2', fingerprint: 'f', level: 'low', score: 5, findings: [], json: { b: 2 } },
      ],
      outbox: [{ channel: 'webhook:ops', dedupKey: 'p1:critical', payload: { proposalId: 'p1' } }],
      audit: [{ actor: 'custos', action: 'report', subject: 'p1', details: { level: 'critical' } }],
      cursors: [{ source: 'safe-events', chainId: 1, value: '1234' }],
    })
    const claim = await old.claimVeto({
      proposalId: 'p1',
      chainId: 1,
      target: '0x01',
      kind: 'auto',
      dryRun: false,
    })
    if (!claim.granted) throw new Error('no claim')
    await old.commit({ vetoes: [{ proposalId: 'p1', kind: 'auto', status: 'proposed', claim: claim.token }] })
    const oldAudit = await old.auditLog(10)
    await old.close()

    const url = await server.createDatabase('migrated')
    const args = ['store', 'migrate', '--from', `sqlite:${file}`, '--to', 'postgres']
    const done = await cli(args, { env: { DATABASE_URL: url } })
    expect(done.stderr).toBe('')
    expect(done.code).toBe(0)
    expect(done.stdout).toMatch(/proposals 2, reports 2/)

    const store = await openPostgresStore(url)
    expect((await store.getProposal('p1'))?.origin).toEqual(proposal('p1', 2n ** 70n).origin)
    expect((await store.latestReport('p2'))?.id).toBe(2)
    expect(await store.getCursor('safe-events', 1)).toBe('1234')
    expect(await store.auditLog(10)).toEqual(oldAudit)
    expect((await store.dueOutbox(Number.MAX_SAFE_INTEGER, 10)).map((r) => r.dedupKey)).toEqual([
      'p1:critical',
    ])
    // What custos did stays done: the veto is not sent again.
    expect(
      await store.claimVeto({ proposalId: 'p1', chainId: 1, target: '0x01', kind: 'auto', dryRun: false }),
    ).toMatchObject({ granted: false, reason: 'done' })
    const { reportIds } = await store.commit({
      reports: [{ proposalId: 'p1', fingerprint: 'g', level: 'high', score: 1, findings: [], json: {} }],
    })
    expect(reportIds).toEqual([3])
    await store.close()

    // Into a database that already holds custos data: refused, nothing changed.
    const again = await cli(args, { env: { DATABASE_URL: url } })
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already holds custos data/)
  })

  it('says what is missing', async () => {
    const noUrl = await cli([
      'store',
      'migrate',
      '--from',
      `sqlite:${join(dir, 'old.db')}`,
      '--to',
      'postgres',
    ])
    expect(noUrl.code).toBe(2)
    expect(noUrl.stderr).toMatch(/DATABASE_URL is not set/)
    const badFrom = await cli(['store', 'migrate', '--from', 'mysql:x', '--to', 'postgres'])
    expect(badFrom.stderr).toMatch(/expected sqlite:FILE/)
    // A custos still running on the file's data directory: refused, nothing copied.
    const data = mkdtempSync(join(tmpdir(), 'custos-running-'))
    await openSqliteStore(join(data, 'custos.db')).close()
    const running = lockDataDir(data)
    const url = await server.createDatabase('running')
    try {
      const busy = await cli(
        ['store', 'migrate', '--from', `sqlite:${join(data, 'custos.db')}`, '--to', 'postgres'],
        { env: { DATABASE_URL: url } },
      )
      expect(busy.code).toBe(2)
      expect(busy.stderr).toMatch(/in use by another custos .*stop it before migrating its store/)
    } finally {
      running.release()
    }
    const store = await openPostgresStore(url)
    expect(await store.pendingProposals(10)).toEqual([])
    await store.close()
  })
})

describe('custos status', () => {
  it('lists the replicas, the sources each leads and the ones waiting for a leader', async () => {
    const url = await server.createDatabase('status')
    const a = await openPostgresStore(url, { replicaId: 'alpha' })
    const b = await openPostgresStore(url, { replicaId: 'beta' })
    const info = { host: 'h1', pid: 11, version: '0.1.0', startedAt: 0 }
    await a.replicas?.heartbeat(info, 60_000)
    await b.replicas?.heartbeat({ ...info, pid: 12 }, 60_000)
    await a.replicas?.lease([], ['tx-service:1:0xSafe', 'chain-events:1'], 60_000)
    await b.replicas?.lease([], ['governance:1'], 1)
    const config = join(dir, 'replicas.yaml')
    writeFileSync(config, 'store: { driver: postgres }\n')
    await new Promise((r) => setTimeout(r, 20))
    const out = await cli(['status', '--config', config], { env: { DATABASE_URL: url } })
    expect(out.stderr).toBe('')
    expect(out.stdout).toContain('store: PostgreSQL')
    expect(out.stdout).toMatch(
      /replica alpha on h1 \(pid 11, 0\.1\.0\): leads chain-events:1, tx-service:1:0xSafe/,
    )
    expect(out.stdout).toMatch(/replica beta .*: stands by/)
    expect(out.stdout).toMatch(/waiting for a leader: governance:1/)
    const json = JSON.parse(
      (await cli(['status', '--config', config, '--format', 'json'], { env: { DATABASE_URL: url } })).stdout,
    )
    expect(json.replicas.replicas.map((r: { id: string }) => r.id)).toEqual(['alpha', 'beta'])
    for (const s of [a, b]) await s.close()
  })

  it('on SQLite, says there is one process', async () => {
    const config = join(dir, 'sqlite.yaml')
    writeFileSync(config, `dataDir: ${join(dir, 'data')}\n`)
    const out = await cli(['status', '--config', config])
    expect(out.code).toBe(0)
    expect(out.stdout).toContain('store: SQLite, one process')
  })
})
