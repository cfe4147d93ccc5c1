import { zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import {
  type Escalation,
  type Store,
  type StoredProposal,
  VETO_LEASE_MS,
  type VetoClaimRequest,
  type WorkBatch,
} from '../../src/model/store.js'

// The store's contract, one suite for every driver: SQLite (test/store/sqlite.test.ts) and
// PostgreSQL on a real server (test/store/postgres.test.ts) must pass the same tests.

export type Opened = {
  store: Store
  /** Another store on the same database (a restart, or a second replica). */
  reopen(clock?: () => number): Promise<Store>
  /** Runs SQL on the database itself, around the store. */
  exec(sql: string): Promise<void>
}
export type OpenStore = (clock?: () => number) => Promise<Opened>

export const SAFE = '0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe' as const
const HOUR = 3_600_000
const OTHER = '0x2222222222222222222222222222222222222222'

export const proposal = (id: string, nonce = 1n): Omit<StoredProposal, 'firstSeen' | 'lastSeen' | 'ref'> => ({
  id,
  chainId: 1,
  target: { kind: 'safe', address: SAFE },
  key: nonce.toString(),
  origin: {
    kind: 'safe',
    safe: SAFE,
    safeTxHash: `0x${id.padStart(64, '0')}`,
    nonce,
    version: '1.4.1',
    tx: {
      safe: SAFE,
      to: SAFE,
      value: 10n ** 30n,
      data: '0x',
      operation: 0,
      safeTxGas: 0n,
      baseGas: 0n,
      gasPrice: 0n,
      gasToken: zeroAddress,
      refundReceiver: zeroAddress,
      nonce,
    },
    confirmations: [],
  },
  calls: [{ to: SAFE, value: 10n ** 30n, data: '0x', operation: 'call' }],
  fingerprint: 'f1',
  status: 'pending' as const,
  level: 'high' as const,
})

/** A veto claim request (`limits: undefined`: a signer's press, unlimited). */
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

export function storeContract(name: string, open: OpenStore) {
  describe(`${name} store: the contract`, () => {
    it('commits a report, its alerts and the cursor together; typed origins come back exactly', async () => {
      const { store } = await open()
      const batch: WorkBatch = {
        proposals: [proposal('a')],
        reports: [
          {
            proposalId: 'a',
            fingerprint: 'f1',
            level: 'high',
            score: 60,
            findings: [{ guard: 'g', code: 'c', severity: 'high', message: 'm' }],
            json: { big: 10n },
          },
        ],
        outbox: [{ channel: 'console', dedupKey: 'a:high', payload: { title: 'x' } }],
        cursors: [{ source: 'chain-events', chainId: 1, value: '100' }],
      }
      expect(await store.commit(batch)).toEqual({ reportIds: [1], enqueued: 1, applied: true })
      expect(await store.getCursor('chain-events', 1)).toBe('100')
      expect(await store.latestReport('a')).toMatchObject({ id: 1, level: 'high', json: { big: '10' } })
      const back = await store.getProposal('a')
      expect(back?.key).toBe('1')
      expect(back?.origin).toEqual(proposal('a').origin)
      expect(back?.calls[0]?.value).toBe(10n ** 30n)
      expect(await store.outboxDepth()).toBe(1)
      await store.close()
    })

    it('rolls the whole batch back when any part fails: no cursor moves without its alerts', async () => {
      const { store } = await open()
      await expect(
        store.commit({
          outbox: [{ channel: 'console', dedupKey: 'k', payload: {} }],
          cursors: [{ source: 'chain-events', chainId: 1, value: '200' }],
          reports: [
            { proposalId: 'missing', fingerprint: 'f', level: 'low', score: 1, findings: [], json: {} },
          ],
        }),
      ).rejects.toThrow(/foreign key/i)
      expect(await store.getCursor('chain-events', 1)).toBeUndefined()
      expect(await store.outboxDepth()).toBe(0)
      await store.close()
    })

    it('enqueues an alert once per channel and dedup key', async () => {
      const { store } = await open()
      const alert = { channel: 'webhook', dedupKey: 'p1:critical', payload: { n: 1 } }
      expect((await store.commit({ outbox: [alert, { ...alert, channel: 'console' }] })).enqueued).toBe(2)
      expect((await store.commit({ outbox: [alert] })).enqueued).toBe(0)
      await store.close()
    })

    it('moves outbox rows through retry, sent and dead', async () => {
      let now = 1000
      const { store } = await open(() => now)
      await store.commit({
        outbox: ['a', 'b', 'c'].map((k) => ({ channel: 'w', dedupKey: k, payload: { k } })),
      })
      const due = await store.dueOutbox(now, 10)
      expect(due.map((r) => r.dedupKey)).toEqual(['a', 'b', 'c'])
      expect(await store.claimOutbox(due[0]?.id as number)).toBe(true)
      await store.markSent(due[0]?.id as number, now)
      expect(await store.claimOutbox(due[0]?.id as number)).toBe(false)
      await store.markRetry(due[1]?.id as number, now + 5000, 'HTTP 503')
      await store.markDead(due[2]?.id as number, 'gave up')
      expect(await store.dueOutbox(now, 10)).toEqual([])
      now += 5000
      expect(await store.dueOutbox(now, 10)).toMatchObject([
        { dedupKey: 'b', attempts: 1, lastError: 'HTTP 503' },
      ])
      expect(await store.outboxDepth()).toBe(1)
      await store.close()
    })

    it('delivers the rows about one proposal on one channel in the order they were queued', async () => {
      let now = 1000
      const { store } = await open(() => now)
      const row = (key: string, proposalId?: string) => ({
        channel: 'pagerduty',
        dedupKey: key,
        payload: proposalId ? { proposalId } : {},
      })
      await store.commit({ outbox: [row('p1:trigger', 'p1'), row('p2:trigger', 'p2'), row('health')] })
      const [trigger] = await store.dueOutbox(now, 10)
      await store.markRetry(trigger?.id as number, now + 60_000, 'HTTP 503') // the trigger backs off
      await store.commit({ outbox: [row('p1:resolve', 'p1')] })
      // The resolve waits for its trigger; other proposals and rows without one are not held up.
      expect((await store.dueOutbox(now, 10)).map((r) => r.dedupKey)).toEqual(['p2:trigger', 'health'])
      now += 60_000
      expect((await store.dueOutbox(now, 10)).map((r) => r.dedupKey)).toEqual([
        'p2:trigger',
        'health',
        'p1:trigger',
      ])
      await store.markSent(trigger?.id as number, now)
      expect((await store.dueOutbox(now, 10)).map((r) => r.dedupKey)).toContain('p1:resolve')
      expect(await store.channelsFor('p1')).toEqual(['pagerduty'])
      await store.close()
    })

    it('climbs a ladder only if its row is still the one read: an acknowledgement made meanwhile stands', async () => {
      const { store } = await open(() => 1000)
      const read: Escalation = {
        ...{ proposalId: 'p1', level: 'high', stage: 'posted', round: 1 },
        ...{ nextAt: 2000, status: 'open', startedAt: 1000 },
      }
      await store.commit({ proposals: [proposal('p1')], escalations: [read] })
      const climb = (): WorkBatch => ({
        escalations: [{ ...read, stage: 'mentioned', nextAt: 3000 }],
        outbox: [{ channel: 'discord', dedupKey: 'p1:mention', payload: { title: 'm' } }],
        audit: [{ actor: 'custos', action: 'escalation-mentioned', subject: 'p1' }],
        ifEscalation: read,
      })
      // A signer acknowledges after the ladder read its row and before it commits the rung.
      await store.commit({ escalations: [{ ...read, status: 'acknowledged' }] })
      expect(await store.commit(climb())).toEqual({ reportIds: [], enqueued: 0, applied: false })
      expect((await store.getEscalation('p1'))?.status).toBe('acknowledged')
      expect(await store.outboxDepth()).toBe(0)
      expect((await store.auditLog(10)).map((a) => a.action)).not.toContain('escalation-mentioned')
      // Unchanged, the same rung is committed whole.
      await store.commit({ escalations: [read] })
      expect((await store.commit(climb())).applied).toBe(true)
      expect(await store.getEscalation('p1')).toMatchObject({ stage: 'mentioned', status: 'open' })
      expect(await store.outboxDepth()).toBe(1)
      await store.close()
    })

    it('commits a batch with a cursor condition only while the cursor holds that value (absent holds "")', async () => {
      const { store } = await open(() => 1000)
      const start = (episode: string, since: string): WorkBatch => ({
        cursors: [{ source: 'drift-episode:x', chainId: 1, value: episode }],
        outbox: [{ channel: 'hook', dedupKey: `drift:${episode}`, payload: { title: 'drift' } }],
        ifCursor: { source: 'drift-episode:x', chainId: 1, value: since },
      })
      // Two checks read no episode; the first starts one, the second finds it started.
      expect((await store.commit(start('1000', ''))).applied).toBe(true)
      expect(await store.commit(start('1001', ''))).toEqual({ reportIds: [], enqueued: 0, applied: false })
      expect(await store.getCursor('drift-episode:x', 1)).toBe('1000')
      expect(await store.outboxDepth()).toBe(1)
      // Read as it is, it commits.
      expect((await store.commit(start('1000', '1000'))).applied).toBe(true)
      await store.close()
    })

    it('records chat state: interactions once, acknowledgements, veto requests, messages, silences, ladders', async () => {
      let now = 1000
      const { store } = await open(() => now)
      await store.commit({
        proposals: [proposal('p1')],
        outbox: [{ channel: 'discord', dedupKey: 'p1:high', payload: { title: 't' } }],
        acks: [{ proposalId: 'p1', actor: 'alice via discord:1', signer: '0xA', channel: 'discord' }],
        vetoRequests: [{ proposalId: 'p1', actor: 'bob via discord:2', signer: '0xB', channel: 'discord' }],
        silences: [{ target: '1:0xsafe', until: 5000, actor: 'alice' }],
        escalations: [
          {
            proposalId: 'p1',
            level: 'high',
            stage: 'posted',
            round: 1,
            nextAt: 2000,
            status: 'open',
            startedAt: 1000,
          },
        ],
      })
      expect(await store.claimInteraction('discord:42')).toBe(true)
      expect(await store.claimInteraction('discord:42')).toBe(false)
      expect((await store.acksFor('p1')).map((a) => a.signer)).toEqual(['0xA'])
      expect((await store.vetoRequestsFor('p1')).map((a) => a.actor)).toEqual(['bob via discord:2'])
      const [row] = await store.dueOutbox(now, 10)
      await store.markSent(row?.id as number, now, { proposalId: 'p1', ref: '9:10' })
      expect(await store.messagesFor('p1', 'discord')).toEqual([
        { channel: 'discord', dedupKey: 'p1:high', ref: '9:10', payload: { title: 't' } },
      ])
      expect(await store.dueEscalations(now, 10)).toEqual([])
      now = 2000
      expect((await store.dueEscalations(now, 10)).map((e) => e.proposalId)).toEqual(['p1'])
      expect((await store.activeSilences(now)).map((x) => x.target)).toEqual(['1:0xsafe'])
      now = 5000
      expect(await store.activeSilences(now)).toEqual([])
      await store.commit({ silences: [{ target: '1:0xsafe', until: null, actor: 'alice' }] })
      expect(await store.activeSilences(0)).toEqual([])
      await store.close()
    })

    it('keeps what was committed across a reopen', async () => {
      const { store, reopen } = await open()
      await store.commit({
        proposals: [proposal('p', 7n)],
        cursors: [{ source: 's', chainId: 5, value: '42' }],
      })
      await store.close()
      const b = await reopen()
      expect(await b.getCursor('s', 5)).toBe('42')
      expect(
        (await b.proposalsOf(1, SAFE.toUpperCase().replace('0X', '0x'), 'pending')).map((p) => p.id),
      ).toEqual(['p'])
      await b.close()
    })

    it('keeps the audit log append-only, even for SQL written around custos', async () => {
      const { store, exec } = await open()
      await store.audit({ actor: 'custos', action: 'alert', subject: 'p1', details: { level: 'high' } })
      expect(await store.auditLog(10)).toMatchObject([
        { actor: 'custos', action: 'alert', subject: 'p1', details: { level: 'high' } },
      ])
      await expect(exec("UPDATE audit SET actor = 'mallory'")).rejects.toThrow(/append-only/)
      await expect(exec('DELETE FROM audit')).rejects.toThrow(/append-only/)
      expect(await store.auditLog(10)).toHaveLength(1)
      await store.close()
    })

    it("orders a target's proposals by their key as numbers, however large", async () => {
      const { store } = await open()
      await store.commit({
        proposals: [proposal('a', 10n), proposal('b', 9n), proposal('c', 2n ** 70n), proposal('d', 100n)],
      })
      expect((await store.proposalsOf(1, SAFE)).map((p) => p.key)).toEqual([
        '9',
        '10',
        '100',
        (2n ** 70n).toString(),
      ])
      await store.close()
    })

    it('finds a proposal by its id, the hash its id ends in, or a governor proposal id', async () => {
      const { store } = await open()
      const hash = `0x${'ab'.repeat(32)}`
      const gov = '0x1111111111111111111111111111111111111111' as const
      await store.commit({
        proposals: [
          { ...proposal('x'), id: `1:safe:${hash}` },
          {
            ...proposal('y'),
            id: `1:governor:${gov}:42`,
            target: { kind: 'governor', address: gov },
            key: '42',
            origin: {
              kind: 'governor',
              governor: gov,
              proposalId: 42n,
              flavor: 'oz',
              description: 'd',
              createdBlock: 5n,
              voteEnd: 9n,
            },
            calls: [],
          },
        ],
      })
      expect((await store.lookupProposals(hash.toUpperCase().replace('0X', '0x'))).map((p) => p.id)).toEqual([
        `1:safe:${hash}`,
      ])
      expect((await store.lookupProposals('42')).map((p) => p.id)).toEqual([`1:governor:${gov}:42`])
      expect((await store.lookupProposals(`1:governor:${gov}:42`))[0]?.origin).toMatchObject({
        kind: 'governor',
        proposalId: 42n,
      })
      expect(await store.lookupProposals('43')).toEqual([])
      await store.close()
    })

    it('never downgrades a status by an upsert from an older view, only by an explicit status', async () => {
      const { store } = await open()
      await store.commit({ proposals: [proposal('x')] })
      await store.commit({ statuses: [{ id: 'x', status: 'executed' }] })
      await store.commit({ proposals: [{ ...proposal('x'), fingerprint: 'f2' }] })
      expect(await store.getProposal('x')).toMatchObject({ status: 'executed', fingerprint: 'f2' })
      await store.commit({ proposals: [proposal('x')], statuses: [{ id: 'x', status: 'pending' }] })
      expect((await store.getProposal('x'))?.status).toBe('pending')
      await store.close()
    })
  })

  describe(`${name} store: guardian records`, () => {
    it("finds custos's guardian transactions by proposal and by hash, apart from the vetoes", async () => {
      const { store } = await open()
      const tx = `0x${'ab'.repeat(32)}`
      await store.commit({
        proposals: [proposal('g1')],
        guardian: [
          {
            proposalId: 'g1',
            action: 'approve',
            status: 'signed',
            txHash: tx.toUpperCase().replace('0X', '0x'),
          },
          { proposalId: 'g1', action: 'approve', status: 'sent', txHash: tx, details: { message: 'ok' } },
        ],
        vetoes: [{ proposalId: 'g1', kind: 'auto', status: 'failed', txHash: `0x${'cd'.repeat(32)}` }],
      })
      const mine = await store.guardianActions({ proposalId: 'g1' })
      expect(mine.map((r) => [r.action, r.status, r.txHash])).toEqual([
        ['approve', 'signed', tx],
        ['approve', 'sent', tx],
      ])
      expect((await store.guardianActions({ txHash: tx.toUpperCase().replace('0X', '0x') })).length).toBe(2)
      // A veto attempt is not a guardian record, and guardian records are not veto outcomes.
      expect(await store.guardianActions({ txHash: `0x${'cd'.repeat(32)}` })).toEqual([])
      expect(await store.vetoOutcomes('g1')).toEqual(['failed'])
      await store.close()
    })
  })

  describe(`${name} store: veto claims`, () => {
    it('grants one attempt per proposal; a settled veto holds, a failed one is released', async () => {
      const { store } = await open()
      const first = await store.claimVeto(claim('p1'))
      if (!first.granted) throw new Error('not granted')
      expect(await store.claimVeto(claim('p1', { kind: 'chat' }))).toEqual({
        granted: false,
        reason: 'acting',
      })
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
      expect(await store.vetoOutcomes('p1')).toEqual(['failed', 'proposed', 'proposed'])
      await store.close()
    })

    it('holds a dry run only while custos is in dry run', async () => {
      const { store } = await open()
      const dry = await store.claimVeto(claim('p1', { dryRun: true }))
      if (!dry.granted) throw new Error('not granted')
      await store.commit(settle('p1', dry.token, 'dry-run'))
      expect(await store.claimVeto(claim('p1', { dryRun: true }))).toMatchObject({ reason: 'done' })
      // Live now: the dry run's claim is taken over, and counted once.
      expect((await store.claimVeto(claim('p1'))).granted).toBe(true)
      expect(await store.vetoesSince(0)).toBe(1)
      await store.close()
    })

    it('takes over a claim left acting for longer than the veto lease', async () => {
      let now = 1_000_000
      const { store } = await open(() => now)
      expect((await store.claimVeto(claim('p1'))).granted).toBe(true)
      now += VETO_LEASE_MS - 1
      expect(await store.claimVeto(claim('p1'))).toEqual({ granted: false, reason: 'acting' })
      now += 2
      expect((await store.claimVeto(claim('p1'))).granted).toBe(true)
      await store.close()
    })

    it('counts maxPerTargetPerHour per chain and address, maxPerHour in all, within the hour', async () => {
      let now = 10 * HOUR
      const { store } = await open(() => now)
      const limits = () => ({ perTarget: 1, total: 3, since: now - HOUR })
      const ask = (id: string, chainId: number, target: string) =>
        store.claimVeto(claim(id, { chainId, target, limits: limits() }))
      expect((await ask('a', 1, SAFE)).granted).toBe(true)
      expect(await ask('b', 1, SAFE.toUpperCase().replace('0X', '0x'))).toEqual({
        granted: false,
        reason: 'rate-limited',
        perTarget: 1,
        total: 1,
      })
      expect((await ask('c', 10, SAFE)).granted).toBe(true)
      expect((await ask('d', 1, OTHER)).granted).toBe(true)
      expect(await ask('e', 5, SAFE)).toMatchObject({ granted: false, reason: 'rate-limited', total: 3 })
      expect(
        (await store.claimVeto(claim('f', { chainId: 5, limits: undefined, kind: 'chat' }))).granted,
      ).toBe(true)
      expect(await store.vetoesSince(now - HOUR)).toBe(4)
      expect(await store.vetoesSince(now - HOUR, { chainId: 1, address: SAFE })).toBe(1)
      now += HOUR + 1
      expect((await ask('b', 1, SAFE)).granted).toBe(true)
      await store.close()
    })

    it('grants exactly one of many stores on one database claiming the same proposal at once', async () => {
      const { store, reopen } = await open()
      const others = await Promise.all(Array.from({ length: 5 }, () => reopen()))
      const all = [store, ...others]
      const results = await Promise.all(all.map((s) => s.claimVeto(claim('p1'))))
      expect(results.filter((r) => r.granted)).toHaveLength(1)
      expect(results.filter((r) => !r.granted).map((r) => (r.granted ? '' : r.reason))).toEqual(
        Array(5).fill('acting'),
      )
      // …and the rate limit holds across them: one per target, whoever asks.
      const limited = await Promise.all(
        all.map((s, i) => s.claimVeto(claim(`q${i}`, { limits: { perTarget: 2, total: 9, since: 0 } }))),
      )
      expect(limited.filter((r) => r.granted)).toHaveLength(1)
      for (const s of all) await s.close()
    })
  })
}
