import { encodeFunctionData, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres } from '../../src/lab/postgres.js'
import { LAB_TARGET_RESERVES, PAUSE_GUARDIAN_ROLE } from '../../src/lab/protocol/index.js'
import { createChatCommands } from '../../src/pipeline/chat-commands.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { freshProtocol, poolAbi, send, watchProtocol } from '../helpers/protocol-world.js'
import { eventually, startWorld, type World } from '../helpers/watch-world.js'

// The circuit breaker and the checks around it, on the lab: reserves below their bound with
// `action: pause` (a dry run records it and sends nothing; live, the pool is paused), the pause
// guardian's role revoked (roles drift, and the pause path broken), the pause state itself.

let world: World
beforeAll(async () => {
  world = await startWorld()
}, 120_000)
afterAll(() => world?.stop())

const reservesCheck = {
  id: 'reserves',
  kind: 'invariant',
  calls: {
    reserves: { to: '', function: 'getReserves() returns (int256)' },
    target: { to: '', function: 'targetReserves() returns (uint256)' },
  },
  expression: 'reserves >= target',
  measure: 'target - reserves',
  action: 'pause',
}
const withPool = (pool: `0x${string}`) => ({
  ...reservesCheck,
  calls: {
    reserves: { ...reservesCheck.calls.reserves, to: pool },
    target: { ...reservesCheck.calls.target, to: pool },
  },
})
const paused = (pool: `0x${string}`) =>
  world.lab.public.readContract({ address: pool, abi: poolAbi, functionName: 'paused' })
const drain = (p: Awaited<ReturnType<typeof freshProtocol>>) =>
  send(
    world,
    p.admin,
    p.pool,
    encodeFunctionData({
      abi: poolAbi,
      functionName: 'withdrawReserves',
      args: [p.admin.address, (LAB_TARGET_RESERVES * 3n) / 2n],
    }),
  )

describe('the circuit breaker on the lab', () => {
  it('in a dry run, records the pause the broken invariant calls for, tells every channel, and sends nothing', async () => {
    const p = await freshProtocol(world)
    const veto = { enabled: true, keyEnv: 'CUSTOS_VETO_KEY', dryRun: false, pauses: { enabled: true } }
    const w = await watchProtocol(
      world,
      p,
      [withPool(p.pool)],
      { veto },
      { CUSTOS_VETO_KEY: p.guardian.privateKey },
    )
    try {
      await drain(p)
      const alert = await w.alertOf('reserves')
      expect(alert.findings.map((f) => `${f.guard}/${f.code}`)).toEqual(['invariant/violated'])
      expect(alert.pause).toContain('pause()')
      const episode = await w.episode('reserves')
      const audit = await eventually(async () =>
        (await w.bot.store.auditLog(100)).find(
          (a) => a.subject === episode?.id && a.action.startsWith('veto-'),
        ),
      )
      expect(audit.action).toBe('veto-dry-run')
      expect(JSON.stringify(audit.details)).toContain('passes its gas estimate')
      const notice = await eventually(() => w.pauseNotices()[0], 20_000, 'every channel told')
      expect(notice.title).toMatch(/pause dry-run/)
      expect(await paused(p.pool)).toBe(false)
    } finally {
      await w.bot.stop()
    }
  })

  it('in a dry run, says the live pause would fail when the key cannot pause (its role revoked), and sends nothing', async () => {
    const p = await freshProtocol(world)
    await send(
      world,
      p.admin,
      p.pool,
      encodeFunctionData({
        abi: poolAbi,
        functionName: 'revokeRole',
        args: [PAUSE_GUARDIAN_ROLE, p.guardian.address],
      }),
    )
    const veto = { enabled: true, keyEnv: 'CUSTOS_VETO_KEY', pauses: { enabled: true } }
    const w = await watchProtocol(
      world,
      p,
      [withPool(p.pool)],
      { veto },
      { CUSTOS_VETO_KEY: p.guardian.privateKey },
    )
    try {
      await drain(p)
      await w.alertOf('reserves')
      const episode = await w.episode('reserves')
      const audit = await eventually(async () =>
        (await w.bot.store.auditLog(100)).find(
          (a) => a.subject === episode?.id && a.action.startsWith('veto-'),
        ),
      )
      expect(audit.action).toBe('veto-failed')
      expect(JSON.stringify(audit.details)).toMatch(
        /dry run: the pause pause\(\) on 0x[0-9a-fA-F]{40} cannot be sent/,
      )
      // The key's estimate reverts with AccessControl's error, named with its arguments.
      expect(JSON.stringify(audit.details)).toContain(
        `it reverts: AccessControlUnauthorizedAccount(${p.guardian.address}, ${PAUSE_GUARDIAN_ROLE})`,
      )
      const notice = await eventually(() => w.pauseNotices()[0], 20_000, 'every channel told')
      expect(notice.title).toMatch(/pause failed/)
      expect(await paused(p.pool)).toBe(false)
    } finally {
      await w.bot.stop()
    }
  })

  it('live, pauses the pool with the veto key, once, and never unpauses it when the reserves recover', async () => {
    const p = await freshProtocol(world)
    const veto = { enabled: true, keyEnv: 'CUSTOS_VETO_KEY', pauses: { enabled: true, dryRun: false } }
    const w = await watchProtocol(
      world,
      p,
      [withPool(p.pool)],
      { veto },
      { CUSTOS_VETO_KEY: p.guardian.privateKey },
    )
    try {
      await drain(p)
      await eventually(() => paused(p.pool), 20_000, 'the pool paused')
      const episode = await w.episode('reserves')
      // The pool is paused when the transaction lands; the attempt is recorded just after.
      const sentPauses = async () =>
        (await w.bot.store.auditLog(100)).filter((a) => a.subject === episode?.id && a.action === 'veto-sent')
      await eventually(async () => ((await sentPauses()).length > 0 ? true : undefined))
      await eventually(() => w.pauseNotices().find((a) => / · pause sent/.test(a.title)))
      await eventually(() => w.updates().find((u) => u.event === 'paused'))
      // The reserves come back: resolved, and the pool stays paused (unpausing is for people).
      await send(
        world,
        p.admin,
        world.lab.token,
        encodeFunctionData({
          abi: [
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
          ],
          functionName: 'transfer',
          args: [p.pool, LAB_TARGET_RESERVES * 2n],
        }),
      )
      await w.resolvedOf('reserves')
      expect(await paused(p.pool)).toBe(true)
      // Once, through every round that found the reserves short.
      expect(await sentPauses()).toHaveLength(1)
    } finally {
      await w.bot.stop()
    }
  })

  it('lets a listed signer press Pause on a check alert (sent within the switches), and refuses anyone else', async () => {
    const p = await freshProtocol(world)
    const { action: _, ...noAuto } = withPool(p.pool)
    const w = await watchProtocol(
      world,
      p,
      [noAuto],
      {
        veto: { enabled: true, keyEnv: 'CUSTOS_VETO_KEY', pauses: { enabled: true, dryRun: false } },
        signers: [{ name: 'alice', address: world.owners.A.address, telegram: 42 }],
      },
      { CUSTOS_VETO_KEY: p.guardian.privateKey },
    )
    try {
      await drain(p)
      const alert = await w.alertOf('reserves')
      expect(alert.pause).toBe(`pool: pause() on ${p.pool}`)
      const episode = await w.episode('reserves')
      if (!episode) throw new Error('no episode')
      // Without `action: pause`, nothing was sent on its own.
      expect(await paused(p.pool)).toBe(false)
      const chat = createChatCommands(w.bot.watcher.ctx, {
        status: () => ({ ready: [], expected: [], sources: {} }),
        wakeLadder: () => {},
      })
      const press = (id: string, interactionId: string) =>
        chat.press({
          channel: 'telegram',
          interactionId,
          user: { id, name: id },
          action: 'pause',
          ref: episode.ref,
        })
      expect((await press('99', 'i-1')).outcome).toBe('refused')
      expect(await paused(p.pool)).toBe(false)
      const done = await press('42', 'i-2')
      expect(done.outcome).toBe('done')
      expect(done.message).toContain('Pause sent')
      expect(await paused(p.pool)).toBe(true)
      const audit = await w.bot.store.auditLog(100)
      expect(audit.find((a) => a.action === 'pause-requested')?.actor).toBe('alice via telegram:42')
      expect(audit.find((a) => a.action === 'veto-sent' && a.subject === episode.id)?.actor).toBe(
        'alice via telegram:42',
      )
    } finally {
      await w.bot.stop()
    }
  })

  it('with veto.quorum above 1, leaves the pause to the signers (no replica can judge a check again) and says why', async () => {
    const p = await freshProtocol(world)
    const veto = {
      enabled: true,
      keyEnv: 'CUSTOS_VETO_KEY',
      quorum: 2,
      pauses: { enabled: true, dryRun: false },
    }
    const db = await startPostgres()
    const w = await watchProtocol(
      world,
      p,
      [withPool(p.pool)],
      { veto, store: { driver: 'postgres', leaseSeconds: 3 } },
      { CUSTOS_VETO_KEY: p.guardian.privateKey },
      await openPostgresStore(db.url, { replicaId: 'only' }),
    )
    try {
      await drain(p)
      const refused = await eventually(
        async () =>
          (await w.bot.store.auditLog(100)).find(
            (a) =>
              a.action === 'veto-refused' &&
              a.subject.includes(':check:') &&
              a.subject.includes(':reserves:'),
          ),
        20_000,
        'the refused pause',
      )
      expect(JSON.stringify(refused.details)).toContain('the pause is left to the signers')
      expect(await paused(p.pool)).toBe(false)
      expect((await w.bot.store.auditLog(100)).some((a) => a.action === 'veto-awaiting-quorum')).toBe(false)
    } finally {
      await w.bot.stop()
      await db.stop()
    }
  })

  it('with pauses switched off, escalates instead and says why', async () => {
    const p = await freshProtocol(world)
    const w = await watchProtocol(
      world,
      p,
      [withPool(p.pool)],
      { veto: { enabled: true, keyEnv: 'CUSTOS_VETO_KEY' } },
      { CUSTOS_VETO_KEY: p.guardian.privateKey },
    )
    try {
      await drain(p)
      await w.alertOf('reserves')
      const episode = await w.episode('reserves')
      const report = await eventually(async () =>
        (await w.bot.store.auditLog(100)).find((a) => a.subject === episode?.id && a.action === 'report'),
      )
      expect(JSON.stringify(report.details)).toContain('pauses are switched off (veto.pauses.enabled)')
      expect((await w.bot.store.auditLog(100)).some((a) => a.action.startsWith('veto-'))).toBe(false)
    } finally {
      await w.bot.stop()
    }
  })
})

describe('roles, pause readiness and pause state on the lab', () => {
  it('finds the pause guardian role revoked (roles drift, the pause path broken), and both resolved when it is granted back', async () => {
    const p = await freshProtocol(world)
    const w = await watchProtocol(world, p, [
      {
        id: 'guardian',
        kind: 'roles',
        contract: p.pool,
        holders: [
          { role: 'PAUSE_GUARDIAN_ROLE', expected: [p.guardian.address] },
          { role: 'DEFAULT_ADMIN_ROLE', expected: [p.admin.address] },
        ],
      },
      { id: 'pause-path', kind: 'pause-ready', sender: p.guardian.address, every: 'block' },
    ])
    try {
      await new Promise((r) => setTimeout(r, 1500))
      expect(w.alerts()).toHaveLength(0)
      await send(
        world,
        p.admin,
        p.pool,
        encodeFunctionData({
          abi: poolAbi,
          functionName: 'revokeRole',
          args: [PAUSE_GUARDIAN_ROLE, p.guardian.address],
        }),
      )
      const roles = await w.alertOf('guardian')
      expect(roles.findings.map((f) => f.code)).toEqual(['missing-holder'])
      const path = await w.alertOf('pause-path')
      expect(path.level).toBe('high')
      expect(path.findings.map((f) => f.code)).toEqual(['pause-reverts'])
      expect(path.summary).toContain('AccessControlUnauthorizedAccount')
      // Someone else gets the role: drift of another kind, raised again.
      await send(
        world,
        p.admin,
        p.pool,
        encodeFunctionData({
          abi: poolAbi,
          functionName: 'grantRole',
          args: [PAUSE_GUARDIAN_ROLE, world.owners.C.address],
        }),
      )
      const worse = await w.alertOf('guardian', 2)
      expect(worse.findings.map((f) => f.code).sort()).toEqual(['missing-holder', 'unexpected-holder'])
      await send(
        world,
        p.admin,
        p.pool,
        encodeFunctionData({
          abi: poolAbi,
          functionName: 'revokeRole',
          args: [PAUSE_GUARDIAN_ROLE, world.owners.C.address],
        }),
      )
      await send(
        world,
        p.admin,
        p.pool,
        encodeFunctionData({
          abi: poolAbi,
          functionName: 'grantRole',
          args: [PAUSE_GUARDIAN_ROLE, p.guardian.address],
        }),
      )
      await w.resolvedOf('guardian')
      await w.resolvedOf('pause-path')
    } finally {
      await w.bot.stop()
    }
  })

  it('finds the pause sender short of gas money for its pauses, and resolved when funded', async () => {
    const p = await freshProtocol(world)
    await world.lab.test.setBalance({ address: p.guardian.address, value: 1000n })
    const w = await watchProtocol(world, p, [
      { id: 'pause-path', kind: 'pause-ready', sender: p.guardian.address, pauses: 3, every: 'block' },
    ])
    try {
      const alert = await w.alertOf('pause-path')
      expect(alert.findings.map((f) => f.code)).toEqual(['low-balance'])
      await world.lab.test.setBalance({ address: p.guardian.address, value: parseEther('1') })
      await world.lab.test.mine({ blocks: 1 })
      await w.resolvedOf('pause-path')
    } finally {
      await world.lab.test.setBalance({ address: p.guardian.address, value: parseEther('10000') })
      await w.bot.stop()
    }
  })

  it('finds a pool paused that must run, and resolved when unpaused', async () => {
    const p = await freshProtocol(world)
    const w = await watchProtocol(world, p, [
      { id: 'running', kind: 'paused', contracts: [{ address: p.pool, name: 'pool' }] },
    ])
    try {
      await send(world, p.guardian, p.pool, encodeFunctionData({ abi: poolAbi, functionName: 'pause' }))
      const alert = await w.alertOf('running')
      expect(alert.findings.map((f) => f.code)).toEqual(['paused'])
      await send(world, p.admin, p.pool, encodeFunctionData({ abi: poolAbi, functionName: 'unpause' }))
      await w.resolvedOf('running')
    } finally {
      await w.bot.stop()
    }
  })
})
