import { encodeFunctionData, getAddress, type Hex, parseAbi, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import type { LabAccount } from '../../src/lab/index.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// Acting, end to end on the lab: the policy says veto for a critical Safe transaction, and
// custos answers with the canonical rejection at the same nonce, signed by its guardian key.

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

/** A Bybit-style DELEGATECALL proposed to the emulator for `safe`, signed by A. */
async function proposeBybit(safe: `0x${string}`, nonce = 0) {
  const kit = await world.lab.kit(safe, world.owners.A)
  const created = await kit.createTransaction({
    transactions: [
      {
        to: MALICIOUS,
        value: '0',
        data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 0n] }),
        operation: 1,
      },
    ],
    options: { nonce },
  })
  const safeTxHash = (await kit.getTransactionHash(created)) as Hex
  await world.api.proposeTransaction({
    safeAddress: safe,
    safeTransactionData: created.data,
    safeTxHash,
    senderAddress: world.owners.A.address,
    senderSignature: (await kit.signHash(safeTxHash)).data,
  })
  return { safeTxHash, created, id: `${world.lab.chainId}:safe:${safeTxHash}` }
}

const config = (safe: `0x${string}`, veto: Record<string, unknown>) => ({
  safes: [{ address: safe, chainId: world.lab.chainId, name: 'Vault' }],
  policy: { vetoAt: 'critical' },
  veto: { enabled: true, keyEnv: 'CUSTOS_VETO_KEY', ...veto },
})

describe('automatic vetoes on the lab', () => {
  it('executes the rejection at the same nonce when the guardian alone meets the threshold; the attack can no longer run', async () => {
    const safe = await world.lab.createSafe({
      owners: [world.owners.A.address, guardian.address],
      threshold: 1,
      fund: parseEther('1'),
    })
    const bot = await startBot(world, config(safe, { dryRun: false }), undefined, env())
    try {
      const { id, created } = await proposeBybit(safe)
      const veto = await eventually(
        async () =>
          (await bot.store.auditLog(100)).find((a) => a.action.startsWith('veto-') && a.subject === id),
        30_000,
        'the veto',
      )
      expect(veto.action, JSON.stringify(veto.details)).toBe('veto-sent')
      expect(veto.actor).toBe('custos')
      // The rejection used nonce 0: the Safe is at 1, and the attack at nonce 0 cannot execute.
      const nonce = await world.lab.public.readContract({
        address: safe,
        abi: parseAbi(['function nonce() view returns (uint256)']),
        functionName: 'nonce',
      })
      expect(nonce).toBe(1n)
      const kit = await world.lab.kit(safe, world.owners.A)
      await expect(kit.executeTransaction(await kit.signTransaction(created))).rejects.toThrow()
      // The channels were told, with what custos did: here a veto, the transaction can no longer run.
      const told = await eventually(() =>
        world.receiver
          .others()
          .find((r) => r.json.update?.proposalId === id && r.json.update.event === 'vetoed'),
      )
      expect(told.json.update?.text).toMatch(
        /custos vetoed it: executed the rejection at nonce 0 \(0x[0-9a-f]{64}\); this transaction can no longer execute/,
      )
    } finally {
      await bot.stop()
    }
  })

  it('proposes the signed rejection for the other signers when the threshold needs them', async () => {
    const safe = await world.lab.createSafe({
      owners: [world.owners.A.address, world.owners.B.address, guardian.address],
      threshold: 2,
    })
    const bot = await startBot(world, config(safe, { dryRun: false }), undefined, env())
    try {
      const { id } = await proposeBybit(safe)
      const veto = await eventually(
        async () =>
          (await bot.store.auditLog(100)).find((a) => a.action.startsWith('veto-') && a.subject === id),
        30_000,
        'the veto',
      )
      expect(veto.action).toBe('veto-proposed')
      // The rejection is in the service, at the same nonce, confirmed by the guardian.
      const pending = (await world.api.getPendingTransactions(safe)).results
      const rejection = pending.find((t) => t.to === safe && (t.data ?? '0x') === '0x' && t.value === '0')
      expect(rejection?.nonce).toBe('0')
      expect(rejection?.confirmations?.map((c) => getAddress(c.owner))).toEqual([guardian.address])
    } finally {
      await bot.stop()
    }
  })

  it('sends one veto when two judgements ask for it at once', async () => {
    const safe = await world.lab.createSafe({
      owners: [world.owners.A.address, guardian.address],
      threshold: 1,
    })
    // No policy veto: the two requests below are the only ones.
    const bot = await startBot(world, { ...config(safe, { dryRun: false }), policy: {} }, undefined, env())
    try {
      const { id } = await proposeBybit(safe)
      const stored = await eventually(async () => bot.store.getProposal(id), 30_000, 'the proposal')
      const vetoer = bot.watcher.ctx.vetoer
      if (!vetoer) throw new Error('no vetoer')
      const outcomes = await Promise.all([
        vetoer.veto(stored, { kind: 'auto', actor: 'custos' }),
        vetoer.veto(stored, { kind: 'auto', actor: 'custos' }),
      ])
      expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent'])
      expect(outcomes[1]?.message).toBe('already vetoed')
      const sent = (await bot.store.auditLog(100)).filter((a) => a.action === 'veto-sent' && a.subject === id)
      expect(sent).toHaveLength(1)
    } finally {
      await bot.stop()
    }
  })

  it('sends nothing in a dry run, and says so', async () => {
    const safe = await world.lab.createSafe({
      owners: [world.owners.A.address, guardian.address],
      threshold: 1,
    })
    const bot = await startBot(world, config(safe, { dryRun: true }), undefined, env())
    try {
      const sentBefore = await world.lab.public.getTransactionCount({ address: guardian.address })
      const { id } = await proposeBybit(safe)
      const veto = await eventually(
        async () =>
          (await bot.store.auditLog(100)).find((a) => a.action.startsWith('veto-') && a.subject === id),
        30_000,
        'the decision',
      )
      expect(veto.action).toBe('veto-dry-run')
      const nonce = await world.lab.public.readContract({
        address: safe,
        abi: parseAbi(['function nonce() view returns (uint256)']),
        functionName: 'nonce',
      })
      expect(nonce).toBe(0n)
      expect(await world.lab.public.getTransactionCount({ address: guardian.address })).toBe(sentBefore)
    } finally {
      await bot.stop()
    }
  })
})
