import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, encodeFunctionData, getAddress, type Hex, parseAbi, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import type { LabAccount } from '../../src/lab/index.js'
import { setGuardCalldata } from '../../src/respond/guard/contract.js'
import {
  advance,
  DEFAULT_SETTINGS,
  execute,
  type GuardWorld,
  guardedSafe,
  readStatus,
  schedule,
  signTx,
} from '../helpers/guard.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// Acting on a Safe that runs the custos Guard with custos as guardian, end to end through the watch
// loop: a fully signed Bybit-style transaction is not answered with a rejection the other owners
// must co-sign, but stopped on-chain (scheduled with the owners' own signatures and cancelled), so
// that whoever holds the signatures can neither execute it nor schedule it again.

const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
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

const config = (safe: Address, veto: Record<string, unknown> = {}) => ({
  dataDir: mkdtempSync(join(tmpdir(), 'custos-guard-veto-')),
  safes: [{ address: safe, chainId: world.lab.chainId, name: 'Vault', guard: {} }],
  policy: { vetoAt: 'critical' },
  veto: { enabled: true, dryRun: false, keyEnv: 'CUSTOS_VETO_KEY', ...veto },
})

/** A Bybit-style DELEGATECALL proposed to the emulator for the guarded Safe, signed by `signers`. */
async function proposeBybit(w: GuardWorld, signers: LabAccount[]) {
  const [first, ...rest] = signers as [LabAccount, ...LabAccount[]]
  const kit = await world.lab.kit(w.safe, first)
  let tx = await kit.createTransaction({
    transactions: [
      {
        to: MALICIOUS,
        value: '0',
        data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 0n] }),
        operation: 1,
      },
    ],
  })
  const safeTxHash = (await kit.getTransactionHash(tx)) as Hex
  await world.api.proposeTransaction({
    safeAddress: w.safe,
    safeTransactionData: tx.data,
    safeTxHash,
    senderAddress: first.address,
    senderSignature: (await kit.signHash(safeTxHash)).data,
  })
  tx = await kit.signTransaction(tx, 'eth_sign')
  for (const s of rest) {
    const k = await world.lab.kit(w.safe, s)
    const sig = (await k.signHash(safeTxHash)).data
    await world.api.confirmTransaction(safeTxHash, sig)
    tx = await k.signTransaction(tx, 'eth_sign')
  }
  return { safeTxHash, tx, id: `${world.lab.chainId}:safe:${safeTxHash.toLowerCase()}` }
}

const vetoOf = (bot: Awaited<ReturnType<typeof startBot>>, id: string) =>
  eventually(
    async () => (await bot.store.auditLog(100)).find((a) => a.action.startsWith('veto-') && a.subject === id),
    60_000,
    'the veto',
  )

describe('a veto on a Safe that runs the custos Guard', { timeout: 120_000 }, () => {
  it('cancels a fully signed Bybit-style transaction on the guard: it can neither execute nor be scheduled again', async () => {
    const w = await guardedSafe(world.lab, '1.4.1', { settings: () => DEFAULT_SETTINGS(guardian.address) })
    const { id, tx, safeTxHash } = await proposeBybit(w, [w.owners[0], w.owners[1]] as LabAccount[])
    const bot = await startBot(world, config(w.safe), undefined, env())
    try {
      const veto = await vetoOf(bot, id)
      expect(veto.action, JSON.stringify(veto.details)).toBe('veto-sent')
      expect(JSON.stringify(veto.details)).toMatch(/cancelled on the custos Guard/)
      const status = await readStatus(w, safeTxHash)
      expect(status.cancelled).toBe(true)
      // No rejection was proposed: the owners have nothing to co-sign.
      const pending = (await world.api.getPendingTransactions(w.safe)).results
      expect(pending.filter((t) => t.to === w.safe && (t.data ?? '0x') === '0x')).toEqual([])
      // Whoever holds the signatures: executing reverts, scheduling again reverts.
      const executed = await execute(w, tx)
      expect(executed.ok).toBe(false)
      const again = await schedule(w, tx)
      expect(again).toEqual({ ok: false, error: 'CancelledTx' })
    } finally {
      await bot.stop()
    }
  })

  it('holds one that lacks signatures, and cancels it as soon as someone schedules it with signatures gathered elsewhere', async () => {
    const w = await guardedSafe(world.lab, '1.4.1', { settings: () => DEFAULT_SETTINGS(guardian.address) })
    const { id, tx, safeTxHash } = await proposeBybit(w, [w.owners[0]] as LabAccount[])
    const bot = await startBot(world, config(w.safe), undefined, env())
    try {
      const veto = await vetoOf(bot, id)
      expect(veto.action).toBe('veto-refused')
      expect(JSON.stringify(veto.details)).toMatch(/held by the custos Guard/)
      expect((await world.api.getPendingTransactions(w.safe)).results).toHaveLength(1)
      expect((await execute(w, tx)).ok).toBe(false)
      // The attacker gets B's signature outside the service and starts the clock on the guard.
      const signed = await (await world.lab.kit(w.safe, w.owners[1] as LabAccount)).signTransaction(
        tx,
        'eth_sign',
      )
      expect((await schedule(w, signed)).ok).toBe(true)
      await eventually(
        async () => (await readStatus(w, safeTxHash)).cancelled || undefined,
        60_000,
        'the cancel',
      )
      const sent = await eventually(async () =>
        (await bot.store.auditLog(100)).find((a) => a.action === 'veto-sent' && a.subject === id),
      )
      expect(JSON.stringify(sent.details)).toMatch(/cancelled on the custos Guard/)
      await advance(world.lab, 2 * 3600)
      expect((await execute(w, signed)).ok).toBe(false)
    } finally {
      await bot.stop()
    }
  })

  it('pages at once when a guard change is scheduled', async () => {
    const w = await guardedSafe(world.lab, '1.4.1', { settings: () => DEFAULT_SETTINGS(guardian.address) })
    const bot = await startBot(world, config(w.safe), undefined, env())
    try {
      // Two owners sign the guard's removal and anyone schedules it: the guardian cannot cancel it.
      const removal = await signTx(w, { to: w.safe, data: setGuardCalldata(zeroAddress) })
      expect((await schedule(w, removal)).ok).toBe(true)
      const page = await eventually(
        () =>
          world.receiver
            .accepted()
            .find(
              (r) =>
                r.json.alert.dedupKey.includes(':guard-change:') &&
                r.json.alert.title.includes('guard change scheduled'),
            ),
        60_000,
        'the page',
      )
      expect(page.json.alert.level).toBe('critical')
    } finally {
      await bot.stop()
    }
  })

  it('refuses and escalates to the signers when the guard has another guardian', async () => {
    const w = await guardedSafe(world.lab, '1.4.1') // guardian: another lab account
    const { id } = await proposeBybit(w, [w.owners[0], w.owners[1]] as LabAccount[])
    const bot = await startBot(world, config(w.safe), undefined, env())
    try {
      const veto = await vetoOf(bot, id)
      expect(veto.action).toBe('veto-refused')
      expect(JSON.stringify(veto.details)).toMatch(/not custos's key/)
    } finally {
      await bot.stop()
    }
  })
})
