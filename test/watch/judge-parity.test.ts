import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, getAddress, type Hash, zeroAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import type { OutboxPayload } from '../../src/model/alert.js'
import type { Finding } from '../../src/model/finding.js'
import { silentLogger } from '../../src/model/logger.js'
import { type Origin, type Proposal, proposalId } from '../../src/model/proposal.js'
import type { Report } from '../../src/model/report.js'
import type { Level } from '../../src/model/severity.js'
import { createChatCommands } from '../../src/pipeline/chat-commands.js'
import { act, createSafeStates, type WatchContext } from '../../src/pipeline/context.js'
import { judge } from '../../src/pipeline/judge.js'
import { climbLadders } from '../../src/pipeline/ladder.js'
import type { Notifier } from '../../src/respond/notifier.js'
import type { OutboxWorker } from '../../src/respond/outbox.js'
import { createMetrics } from '../../src/server/metrics.js'
import type { Simulator } from '../../src/simulate/index.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { runtime } from '../helpers/build.js'

// The one judge path holds for every kind: a Safe transaction, a governor proposal and a
// timelock operation are alerted, named, chased, cleared, silenced and found the same way.

const SAFE = getAddress('0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe')
const GOVERNOR = getAddress('0x9000000000000000000000000000000000000009')
const TIMELOCK = getAddress('0x7100000000000000000000000000000000000071')
const HASH = `0x${'5a'.repeat(32)}` as Hash

const config = {
  safes: [{ address: SAFE, chainId: 1, name: 'Treasury' }],
  governors: [{ address: GOVERNOR, chainId: 1, name: 'Lab DAO' }],
  timelocks: [{ address: TIMELOCK, chainId: 1, name: 'Ops timelock' }],
  alerts: { minLevel: 'low' },
  escalation: { minLevel: 'high' },
  signers: [
    {
      name: 'alice',
      address: getAddress('0xa11ce00000000000000000000000000000000001'),
      discord: '100000000000000042',
    },
  ],
}

const origins: Record<'safe' | 'governor' | 'timelock', (n: bigint) => Origin> = {
  safe: (n) => ({
    kind: 'safe',
    safe: SAFE,
    safeTxHash: `0x${n.toString(16).padStart(2, '0').repeat(32)}` as Hash,
    nonce: n,
    version: '1.4.1',
    tx: {
      safe: SAFE,
      to: SAFE,
      value: 0n,
      data: '0x',
      operation: 0,
      safeTxGas: 0n,
      baseGas: 0n,
      gasPrice: 0n,
      gasToken: zeroAddress,
      refundReceiver: zeroAddress,
      nonce: n,
    },
    confirmations: [],
  }),
  governor: (n) => ({
    kind: 'governor',
    governor: GOVERNOR,
    proposalId: n,
    flavor: 'oz',
    description: `proposal ${n}`,
    createdBlock: 1n,
    voteEnd: 2n,
  }),
  timelock: (n) => ({
    kind: 'timelock',
    timelock: TIMELOCK,
    operationId: `0x${n.toString(16).padStart(2, '0').repeat(32)}` as Hash,
    eta: 0n,
    createdBlock: 1n,
  }),
}

function report(origin: Origin, level: Level): Report {
  const executor: Address = origin.kind === 'safe' ? SAFE : TIMELOCK
  const proposal: Proposal = {
    id: proposalId(1, origin),
    chainId: 1,
    origin,
    executor,
    calls: [
      {
        to: getAddress('0xbad0000000000000000000000000000000000bad'),
        value: 1n,
        data: '0x',
        operation: 'call',
      },
    ],
    claimed: {},
  }
  const findings: Finding[] =
    level === 'none'
      ? []
      : [{ guard: 'asset-outflow', code: 'large-outflow', severity: level, message: `a ${level} outflow` }]
  const base = {
    proposal,
    call: { path: '0', from: executor, to: executor, value: 1n, data: '0x' as const, operation: 0 as const },
    signatures: [],
    claims: [],
    findings,
    risk: { level, score: level === 'critical' ? 90 : 20 },
    labels: {},
    checkedAt: new Date(0).toISOString(),
  }
  if (origin.kind === 'safe')
    return {
      ...base,
      safe: { address: SAFE, version: '1.4.1', chainId: 1 },
      hashes: { domainHash: HASH, messageHash: HASH, safeTxHash: origin.safeTxHash, match: null },
    }
  return {
    ...base,
    governance: {
      flavor: origin.kind === 'governor' ? 'oz' : 'timelock',
      executor,
      createdBlock: 1n,
      params: {},
      code: [],
      treasury: [],
      problems: [],
    },
  }
}

function world() {
  const rt = runtime({ ...config, dataDir: mkdtempSync(join(tmpdir(), 'custos-parity-')) })
  const store = openSqliteStore(':memory:')
  const now = Date.parse('2026-12-01T12:00:00Z')
  const sent: Array<{ channel: string; payload: OutboxPayload }> = []
  const notifier: Notifier = {
    channel: 'hook',
    minLevel: 'low',
    accepts: () => true,
    deliver: async (payload) => {
      sent.push({ channel: 'hook', payload })
      return undefined
    },
  }
  const ctx: WatchContext = {
    rt,
    config: rt.config,
    targets: rt.targets,
    logger: silentLogger,
    store,
    metrics: createMetrics(),
    notifiers: [notifier],
    outbox: { wake() {} } as unknown as OutboxWorker,
    simulator: {} as Simulator,
    clock: () => now,
    publicUrl: 'http://127.0.0.1:1',
    client: () => {
      throw new Error('no chain in this test')
    },
    upstreams: () => [],
    safes: createSafeStates(),
    commit: async (batch) => ({ applied: (await store.commit(batch)).applied }),
  }
  /** What was queued since the last call, in delivery order (each row then counts as sent). */
  const queued = async () => {
    const out: OutboxPayload[] = []
    for (;;) {
      const due = await store.dueOutbox(Number.MAX_SAFE_INTEGER, 1000)
      if (!due.length) return out
      for (const r of due) {
        out.push(r.payload as OutboxPayload)
        await store.markSent(r.id, 0)
      }
    }
  }
  return { ctx, store, queued }
}

const names = {
  safe: { title: 'Treasury · nonce 7', line: 'Treasury nonce 7' },
  governor: { title: 'Lab DAO · proposal 7', line: 'Lab DAO proposal 7' },
  timelock: {
    title: `Ops timelock · operation ${`0x${'07'.repeat(32)}`.slice(0, 10)}…`,
    line: 'Ops timelock operation 0x07070707…',
  },
}

describe.each(['safe', 'governor', 'timelock'] as const)('one judge path: %s', (kind) => {
  it('alerts with the target named, chases, and clears the ladder when the risk falls', async () => {
    const { ctx, store, queued } = world()
    const origin = origins[kind](7n)
    const id = proposalId(1, origin)
    await act(ctx, await judge(ctx, { report: report(origin, 'critical'), fingerprint: 'a' }))
    const [alert] = await queued()
    expect(alert).toMatchObject({ kind: 'report', title: `CRITICAL · ${names[kind].title}` })
    expect(await store.getEscalation(id)).toMatchObject({ status: 'open', level: 'critical' })
    expect(await store.getProposal(id)).toMatchObject({
      target: { kind },
      status: 'pending',
      level: 'critical',
    })
    expect((await store.getProposal(id))?.origin).toEqual(origin)

    await act(ctx, await judge(ctx, { report: report(origin, 'low'), fingerprint: 'b' }))
    expect((await store.getEscalation(id))?.status).toBe('closed')
    const after = await queued()
    const update = after.find((p) => p.kind === 'update')
    expect(update).toMatchObject({
      event: 'cleared',
      text: `${names[kind].line}: risk fell to low: no longer chased`,
    })
    // Never the Safe words for what is not a Safe.
    if (kind !== 'safe') expect(JSON.stringify(after)).not.toMatch(/nonce/)
  })

  it('holds what a silence covers and says nothing of what already ended but that it did', async () => {
    const { ctx, store, queued } = world()
    const target = ctx.targets.ofKind(kind)[0]
    if (!target) throw new Error('no target')
    await ctx.commit({ silences: [{ target: target.key, until: ctx.clock() + 3_600_000, actor: 'alice' }] })
    const held = origins[kind](8n)
    await act(ctx, await judge(ctx, { report: report(held, 'medium'), fingerprint: 'a' }))
    expect(await queued()).toEqual([])
    const audit = (await store.auditLog(10)).find((a) => a.subject === proposalId(1, held))
    expect(audit?.details).toMatchObject({ reason: expect.stringMatching(/^silenced until/) })
    // A critical one is never held by a silence.
    const critical = origins[kind](9n)
    await act(ctx, await judge(ctx, { report: report(critical, 'critical'), fingerprint: 'a' }))
    expect((await queued()).map((p) => p.kind)).toEqual(['report'])

    // Created and ended before custos saw it: stored closed, alerted as such, never chased or vetoed.
    const { ctx: ctx2, store: store2, queued: queued2 } = world()
    const ended = origins[kind](10n)
    const work = await judge(ctx2, {
      report: report(ended, 'critical'),
      fingerprint: 'a',
      ended: { status: 'executed', text: 'executed (0xabc)' },
    })
    expect(work.veto).toEqual([])
    await act(ctx2, work)
    expect((await store2.getProposal(proposalId(1, ended)))?.status).toBe('executed')
    expect(await store2.getEscalation(proposalId(1, ended))).toBeUndefined()
    expect((await queued2())[0]).toMatchObject({
      title: expect.stringMatching(/· already executed \(0xabc\)$/),
    })
  })

  it('is found by chat status and report, and a signer can silence its target by name', async () => {
    const { ctx } = world()
    const origin = origins[kind](7n)
    await act(ctx, await judge(ctx, { report: report(origin, 'high'), fingerprint: 'a' }))
    const chat = createChatCommands(ctx, {
      status: () => ({ ready: [], expected: [], sources: {} }),
      wakeLadder: () => {},
    })
    const user = { channel: 'discord' as const, id: '100000000000000042', name: 'alice' }
    const status = await chat.status(user, 's1')
    expect(status.message).toContain(`${names[kind].line} · high`)
    expect(status.message).toContain('1 Safe, 1 governor, 1 timelock')
    const key =
      origin.kind === 'safe' ? origin.safeTxHash : origin.kind === 'timelock' ? origin.operationId : '7'
    const found = await chat.report(user, 'r1', key)
    expect(found).toMatchObject({ ok: true, message: expect.stringMatching(/^Report 1: \*\*high\*\*/) })
    const name = ctx.targets.ofKind(kind)[0]?.name as string
    const silenced = await chat.silence(user, 'x1', name, '1h')
    expect(silenced).toMatchObject({ ok: true, message: expect.stringContaining(`${name} silenced until`) })
    expect((await ctx.store.activeSilences(ctx.clock())).map((s) => s.target)).toEqual([
      ctx.targets.ofKind(kind)[0]?.key,
    ])
  })
})

describe('the ladder and an acknowledgement at the same time', () => {
  it('never undoes an acknowledgement made while it climbs, nor sends the rung after it', async () => {
    const { ctx, store, queued } = world()
    const origin = origins.safe(7n)
    const id = proposalId(1, origin)
    await act(ctx, await judge(ctx, { report: report(origin, 'critical'), fingerprint: 'a' }))
    const open = await store.getEscalation(id)
    const proposal = await store.getProposal(id)
    if (!open || !proposal) throw new Error('no ladder')
    await queued()
    const chat = createChatCommands(ctx, {
      status: () => ({ ready: [], expected: [], sources: {} }),
      wakeLadder: () => {},
    })
    // The rung is due; while the ladder reads what it needs (an await), alice acknowledges.
    let acked: Awaited<ReturnType<typeof chat.press>> | undefined
    const racing: WatchContext = {
      ...ctx,
      clock: () => open.nextAt,
      store: {
        ...store,
        latestReport: async (proposalId) => {
          acked ??= await chat.press({
            channel: 'discord',
            interactionId: 'ack-1',
            user: { id: '100000000000000042', name: 'alice' },
            action: 'ack',
            ref: proposal.ref,
          })
          return store.latestReport(proposalId)
        },
      },
    }
    expect(await climbLadders(racing)).toBe(0)
    expect(acked?.outcome).toBe('done')
    expect((await store.getEscalation(id))?.status).toBe('acknowledged')
    const sent = await queued()
    expect(sent.filter((p) => p.kind === 'escalation')).toEqual([])
    expect((await store.auditLog(20)).map((a) => a.action)).not.toContain('escalation-mentioned')
  })
})
