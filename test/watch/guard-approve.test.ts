import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SafeTransaction } from '@safe-global/types-kit'
import { type Address, encodeFunctionData, getAddress, type Hex, parseAbi, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import type { LabAccount } from '../../src/lab/index.js'
import type { LabSafeVersion } from '../../src/lab/safe-versions.js'
import { createChatCommands } from '../../src/pipeline/chat-commands.js'
import {
  advance,
  DEFAULT_SETTINGS,
  execute,
  type GuardWorld,
  guardedSafe,
  guardianDoes,
  hashOf,
  readStatus,
  schedule,
  signTx,
} from '../helpers/guard.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// custos as the custos Guard's guardian through the watch loop, on the real Safe contracts: what it
// judges benign is approved once signed and runs at once; what is worth a look is scheduled by
// custos (the delay starts) and escalated; an attack signed outside the service and scheduled by
// whoever holds the signatures is judged from the guard's event and cancelled; a signer's Approve
// press approves; an approval made with the guardian key elsewhere pages.

const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const STRANGER = getAddress('0x7777777777777777777777777777777777777777')
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])

let world: World
let guardian: LabAccount
const env = () => ({ CUSTOS_VETO_KEY: guardian.privateKey })

beforeAll(async () => {
  world = await startWorld()
  guardian = world.lab.accounts[8] as LabAccount
  await world.lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
})
afterAll(() => world?.stop())

const config = (w: GuardWorld) => ({
  dataDir: mkdtempSync(join(tmpdir(), 'custos-guard-approve-')),
  safes: [{ address: w.safe, chainId: world.lab.chainId, name: 'Vault', guard: {} }],
  policy: { vetoAt: 'critical' },
  veto: { enabled: true, dryRun: false, keyEnv: 'CUSTOS_VETO_KEY' },
  signers: [{ name: 'alice', address: w.owners[0]?.address, telegram: 42 }],
  escalation: { enabled: true, minLevel: 'high' },
})

const guarded = (version: LabSafeVersion) =>
  guardedSafe(world.lab, version, { settings: () => DEFAULT_SETTINGS(guardian.address) })

/** Proposes a signed transaction to the service emulator, with all its signatures. */
async function propose(w: GuardWorld, tx: SafeTransaction): Promise<{ id: string; hash: Hex }> {
  const hash = (await hashOf(w, tx)) as Hex
  const [first, ...rest] = [...tx.signatures.values()]
  if (!first) throw new Error('unsigned')
  await world.api.proposeTransaction({
    safeAddress: w.safe,
    safeTransactionData: tx.data,
    safeTxHash: hash,
    senderAddress: getAddress(first.signer),
    senderSignature: first.data,
  })
  for (const s of rest) await world.api.confirmTransaction(hash, s.data)
  return { id: `${world.lab.chainId}:safe:${hash.toLowerCase()}`, hash }
}

type Bot = Awaited<ReturnType<typeof startBot>>
const auditOf = (bot: Bot, id: string, action: RegExp) =>
  eventually(
    async () => (await bot.store.auditLog(200)).find((a) => a.subject === id && action.test(a.action)),
    60_000,
    `audit ${action} for ${id}`,
  )
const alerts = () => world.receiver.accepted().map((r) => r.json.alert)

/** Waits until the guard's events up to `block` were read, so what they raise is there. */
const guardEventsRead = (bot: Bot, block: bigint) =>
  eventually(
    async () =>
      BigInt((await bot.store.getCursor('guard-events', world.lab.chainId)) ?? -1) >= block || undefined,
    60_000,
    'the guard events scan',
  )

describe('custos approving on the custos Guard', { timeout: 180_000 }, () => {
  for (const version of ['1.4.1', '1.5.0'] as const)
    it(`Safe ${version}: a benign transaction runs right after custos approves it; a Bybit-style one cannot run and is cancelled`, async () => {
      const w = await guarded(version)
      const bot = await startBot(world, config(w), undefined, env())
      try {
        const benign = await signTx(w, { to: w.owners[2]?.address as Address, value: parseEther('0.1') })
        const { id, hash } = await propose(w, benign)
        const sent = await auditOf(bot, id, /^guard-approve-/)
        expect(sent.action, JSON.stringify(sent.details)).toBe('guard-approve-sent')
        expect((await readStatus(w, hash)).approved).toBe(true)
        // No time passes: the approval is the fast path.
        const ran = await execute(w, benign)
        expect(ran.ok).toBe(true)
        // custos recorded its approval before sending it: its own event raises nothing.
        if (ran.ok) await guardEventsRead(bot, ran.receipt.blockNumber)
        expect(alerts().filter((a) => /custos did not send/.test(a.title))).toEqual([])

        const bybit = await signTx(w, {
          to: MALICIOUS,
          data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 0n] }),
          operation: 1,
        })
        const attack = await propose(w, bybit)
        await auditOf(bot, attack.id, /^veto-sent$/)
        const audit = await bot.store.auditLog(200)
        expect(audit.filter((a) => a.subject === attack.id && a.action.startsWith('guard-approve'))).toEqual(
          [],
        )
        expect((await readStatus(w, attack.hash)).cancelled).toBe(true)
        expect((await execute(w, bybit)).ok).toBe(false)
      } finally {
        await bot.stop()
      }
    })

  it('schedules what it judges worth a look (the delay starts) and escalates; it runs after the delay, or at once when a listed signer presses Approve', async () => {
    const w = await guarded('1.4.1')
    const bot = await startBot(world, config(w), undefined, env())
    try {
      // 30 % of the Safe's ETH to an address nobody knows: high, below the veto level.
      const big = await signTx(w, { to: STRANGER, value: parseEther('30') })
      const { id, hash } = await propose(w, big)
      const sched = await auditOf(bot, id, /^guard-schedule-/)
      expect(sched.action, JSON.stringify(sched.details)).toBe('guard-schedule-sent')
      const status = await readStatus(w, hash)
      expect(status.scheduled && !status.approved).toBe(true)
      expect(await bot.store.getEscalation(id)).toMatchObject({ status: 'open' })
      expect((await execute(w, big)).ok).toBe(false)

      // A second transaction like it: a signer presses Approve in chat, and it runs now.
      const other = await signTx(w, {
        to: STRANGER,
        value: parseEther('31'),
        nonce: BigInt(big.data.nonce) + 1n,
      })
      const second = await propose(w, other)
      await auditOf(bot, second.id, /^guard-schedule-sent$/)
      const stored = await bot.store.getProposal(second.id)
      if (!stored) throw new Error('not stored')
      const chat = createChatCommands(bot.watcher.ctx, {
        status: () => ({ ready: [], expected: [], sources: {} }),
        wakeLadder: () => {},
      })
      const press = (user: string, interactionId: string) =>
        chat.press({
          channel: 'telegram',
          interactionId,
          user: { id: user, name: user },
          action: 'approve',
          ref: stored.ref,
        })
      expect((await press('99', 'i-1')).outcome).toBe('refused')
      expect((await readStatus(w, second.hash)).approved).toBe(false)
      const done = await press('42', 'i-2')
      expect(done.message).toMatch(/approved it on the custos Guard/)
      expect((await readStatus(w, second.hash)).approved).toBe(true)

      // The first runs once the delay is over (the second, approved at the next nonce, waits for it).
      await advance(world.lab, 3601)
      expect((await execute(w, big)).ok).toBe(true)
      const ran = await execute(w, other)
      expect(ran.ok, JSON.stringify(ran.ok ? '' : ran.error)).toBe(true)
    } finally {
      await bot.stop()
    }
  })

  it('never approves at the veto level, even when a signer presses Approve', async () => {
    const w = await guarded('1.4.1')
    const bot = await startBot(world, config(w), undefined, env())
    try {
      const bybit = await signTx(w, { to: MALICIOUS, data: '0x', operation: 1 }, [w.owners[0] as LabAccount])
      const { id, hash } = await propose(w, bybit)
      await auditOf(bot, id, /^veto-/)
      const stored = await bot.store.getProposal(id)
      const chat = createChatCommands(bot.watcher.ctx, {
        status: () => ({ ready: [], expected: [], sources: {} }),
        wakeLadder: () => {},
      })
      const done = await chat.press({
        channel: 'telegram',
        interactionId: 'i-9',
        user: { id: '42', name: 'alice' },
        action: 'approve',
        ref: stored?.ref as string,
      })
      expect(done.message).toMatch(/never approved on the guard/)
      expect((await readStatus(w, hash)).approved).toBe(false)
    } finally {
      await bot.stop()
    }
  })

  it('judges an attack it never saw pending from the Scheduled event, and cancels it', async () => {
    const w = await guarded('1.5.0')
    const bot = await startBot(world, config(w), undefined, env())
    try {
      // Signed outside the service (the signers were deceived elsewhere), scheduled by the attacker.
      const bybit = await signTx(w, {
        to: MALICIOUS,
        data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 1n] }),
        operation: 1,
      })
      const hash = await hashOf(w, bybit)
      const id = `${world.lab.chainId}:safe:${hash.toLowerCase()}`
      expect((await schedule(w, bybit)).ok).toBe(true)
      const veto = await auditOf(bot, id, /^veto-/)
      expect(veto.action, JSON.stringify(veto.details)).toBe('veto-sent')
      expect((await readStatus(w, hash)).cancelled).toBe(true)
      const stored = await bot.store.getProposal(id)
      expect(stored?.level).toBe('critical')
      expect(stored?.origin).toMatchObject({ kind: 'safe', seenOn: 'guard' })
      // The owners' two signatures came from the schedule call: custos checked them itself.
      expect(stored?.origin.kind === 'safe' && stored.origin.confirmations.length).toBe(2)
      await advance(world.lab, 3601)
      expect((await execute(w, bybit)).ok).toBe(false)
    } finally {
      await bot.stop()
    }
  })

  it('pages when the guardian key approves something custos did not send', async () => {
    const w = await guarded('1.4.1')
    const bot = await startBot(world, config(w), undefined, env())
    try {
      const tx = await signTx(w, { to: STRANGER, value: parseEther('1') })
      const hash = await hashOf(w, tx)
      // Somebody holding custos's key approves it directly on the guard.
      expect((await guardianDoes(w, 'approve', hash, guardian)).ok).toBe(true)
      const page = await eventually(
        () => alerts().find((a) => a.title.includes('approval custos did not send')),
        60_000,
        'the page',
      )
      expect(page.level).toBe('critical')
    } finally {
      await bot.stop()
    }
  })
})
