import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { getAddress, zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import { proposalRef } from '../../src/model/ref.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { SAFE, storeContract } from './contract.js'

const dir = mkdtempSync(join(tmpdir(), 'custos-store-'))
let n = 0
const fresh = () => join(dir, `db-${n++}.sqlite`)

storeContract('SQLite', async (clock) => {
  const path = fresh()
  return {
    store: openSqliteStore(path, clock),
    reopen: async (c) => openSqliteStore(path, c),
    exec: async (sql) => {
      const db = new Database(path)
      try {
        db.exec(sql)
      } finally {
        db.close()
      }
    },
  }
})

describe('SQLite store', () => {
  it('creates the schema in WAL mode and records its version', async () => {
    const path = fresh()
    await (await openSqliteStore(path)).close()
    const db = new Database(path)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length)
    db.close()
  })

  it('finds a guardian transaction by its hash through an index, not a scan of every veto', async () => {
    const path = fresh()
    await (await openSqliteStore(path)).close()
    const db = new Database(path)
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT proposal_id FROM vetoes WHERE kind = 'guardian' AND tx_hash = ? ORDER BY id",
      )
      .all('0xab') as Array<{ detail: string }>
    db.close()
    expect(plan.map((r) => r.detail).join('; ')).toMatch(/USING INDEX vetoes_by_tx/)
  })

  it('migrates a database written by the first schema, giving its proposals a reference', async () => {
    const path = fresh()
    const old = new Database(path)
    old.exec(MIGRATIONS[0] as string)
    old.pragma('user_version = 1')
    old
      .prepare(
        "INSERT INTO proposals (id, chain_id, safe, nonce, safe_tx_hash, fingerprint, status, level, first_seen, last_seen) VALUES ('1:safe:0xab', 1, '0xSafe', '3', '0xab', 'f', 'pending', 'high', 1, 1)",
      )
      .run()
    old.close()
    const store = openSqliteStore(path)
    expect((await store.getProposal('1:safe:0xab'))?.ref).toBe(proposalRef('1:safe:0xab'))
    expect((await store.proposalByRef(proposalRef('1:safe:0xab')))?.id).toBe('1:safe:0xab')
    await store.close()
  })

  it('refuses a database from a newer custos', async () => {
    const path = fresh()
    const db = new Database(path)
    db.pragma('user_version = 99')
    db.close()
    expect(() => openSqliteStore(path)).toThrow(/newer custos \(schema 99/)
  })
})

describe('one proposals table for every kind', () => {
  it('converts a database written by the Safe-shaped schema: targets, keys, origins and calls', async () => {
    const path = fresh()
    const old = new Database(path)
    for (const m of MIGRATIONS.slice(0, 2)) old.exec(m as string)
    old.pragma('user_version = 2')
    const gov = '0x1111111111111111111111111111111111111111'
    const tl = '0x2222222222222222222222222222222222222222'
    const op = `0x${'cd'.repeat(32)}`
    const hash = `0x${'ab'.repeat(32)}`
    const insert = old.prepare(
      'INSERT INTO proposals (id, ref, chain_id, safe, nonce, safe_tx_hash, fingerprint, status, level, first_seen, last_seen) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, 1, 1)',
    )
    const report = old.prepare(
      "INSERT INTO reports (proposal_id, fingerprint, level, score, created_at, json) VALUES (?, 'f', 'high', 50, 1, ?)",
    )
    insert.run(`1:safe:${hash}`, 'r1', SAFE, '3', hash, 'f', 'pending', 'high')
    report.run(
      `1:safe:${hash}`,
      JSON.stringify({
        safe: { version: '1.4.1' },
        transaction: {
          to: gov,
          value: '5',
          data: '0x1234',
          operation: 1,
          safeTxGas: '0',
          baseGas: '0',
          gasPrice: '0',
          gasToken: zeroAddress,
          refundReceiver: zeroAddress,
          nonce: '3',
        },
      }),
    )
    insert.run(`1:governor:${gov}:77`, 'r2', gov, '77', '', 'f', 'pending', 'critical')
    report.run(
      `1:governor:${gov}:77`,
      JSON.stringify({
        governance: { flavor: 'bravo', description: 'drain', createdBlock: '12', voteEnd: '30' },
        calls: [{ calls: [{ to: tl, value: '1000', data: '0xa9059cbb', operation: 'call' }] }],
      }),
    )
    insert.run(`1:timelock:${tl}:${op}`, 'r3', tl, '0', op, 'f', 'executed', 'medium')
    old.close()

    const store = openSqliteStore(path)
    const safe = await store.getProposal(`1:safe:${hash}`)
    expect(safe).toMatchObject({
      target: { kind: 'safe', address: getAddress(SAFE) },
      key: '3',
      status: 'pending',
    })
    expect(safe?.origin).toMatchObject({
      kind: 'safe',
      nonce: 3n,
      version: '1.4.1',
      tx: { value: 5n, operation: 1 },
    })
    expect(safe?.calls).toEqual([
      {
        to: '0x1111111111111111111111111111111111111111',
        value: 5n,
        data: '0x1234',
        operation: 'delegatecall',
      },
    ])
    const governor = await store.getProposal(`1:governor:${gov}:77`)
    expect(governor).toMatchObject({ target: { kind: 'governor' }, key: '77' })
    expect(governor?.origin).toMatchObject({
      kind: 'governor',
      proposalId: 77n,
      flavor: 'bravo',
      description: 'drain',
      createdBlock: 12n,
    })
    expect(governor?.calls).toEqual([
      {
        to: '0x2222222222222222222222222222222222222222',
        value: 1000n,
        data: '0xa9059cbb',
        operation: 'call',
      },
    ])
    const timelock = await store.getProposal(`1:timelock:${tl}:${op}`)
    expect(timelock).toMatchObject({ target: { kind: 'timelock' }, key: op, status: 'executed' })
    expect(timelock?.origin).toMatchObject({ kind: 'timelock', operationId: op })
    expect((await store.proposalsOf(1, gov)).map((p) => p.id)).toEqual([`1:governor:${gov}:77`])
    await store.close()
  })
})
