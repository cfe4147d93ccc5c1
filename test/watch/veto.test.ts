import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData, getAddress, type Hex, parseAbi, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import type { LabAccount } from '../../src/lab/index.js'
import type { SafeOrigin } from '../../src/model/proposal.js'
import { createVetoer } from '../../src/pipeline/veto.js'
import { createVetoSigner, loadVetoKey, type VetoSigner } from '../../src/respond/veto-signer.js'
import { createServiceClient } from '../../src/sources/tx-service.js'
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

/** Each run its own data directory: the rate limits count every veto in the store's hour. */
const freshDir = () => mkdtempSync(join(tmpdir(), 'custos-veto-'))
const config = (safe: `0x${string}`, veto: Record<string, unknown>) => ({
  dataDir: freshDir(),
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

  it('sends one veto when two watch loops sharing one store ask for it at once', async () => {
    const safe = await world.lab.createSafe({
      owners: [world.owners.A.address, world.owners.B.address, guardian.address],
      threshold: 2,
    })
    // No policy veto: the two requests below are the only ones. The second loop has its own data
    // directory (no lock between them) and the first one's store file.
    const quiet = { ...config(safe, { dryRun: false }), policy: {} }
    const one = await startBot(world, quiet, undefined, env())
    const two = await startBot(
      world,
      {
        ...quiet,
        dataDir: freshDir(),
        store: { path: join(quiet.dataDir, 'custos.db') },
      },
      undefined,
      env(),
    )
    try {
      const { id } = await proposeBybit(safe)
      const stored = await eventually(async () => one.store.getProposal(id), 30_000, 'the proposal')
      const outcomes = await Promise.all(
        [one, two].map((b) => {
          if (!b.watcher.ctx.vetoer) throw new Error('no vetoer')
          return b.watcher.ctx.vetoer.veto(stored, { kind: 'auto', actor: 'custos' })
        }),
      )
      expect(outcomes.map((o) => o.status).sort()).toEqual(['proposed', 'refused'])
      expect(outcomes.find((o) => o.status === 'refused')?.message).toBe(
        'another veto of this proposal is under way',
      )
      const acted = (await one.store.auditLog(200)).filter(
        (a) => a.subject === id && (a.action === 'veto-proposed' || a.action === 'veto-sent'),
      )
      expect(acted).toHaveLength(1)
      // Later attempts find it done, from either loop.
      expect(
        await two.watcher.ctx.vetoer?.veto(stored, { kind: 'chat', actor: 'bob via discord:2' }),
      ).toEqual({
        status: 'proposed',
        message: 'already vetoed',
      })
    } finally {
      await two.stop()
      await one.stop()
    }
  })

  it('vetoes once per Safe per hour (maxPerTargetPerHour) and a number in all (maxPerHour)', async () => {
    const owners = [world.owners.A.address, world.owners.B.address, guardian.address]
    const first = await world.lab.createSafe({ owners, threshold: 2 })
    const second = await world.lab.createSafe({ owners, threshold: 2 })
    const dataDir = freshDir()
    const bot = await startBot(
      world,
      {
        dataDir,
        safes: [
          { address: first, chainId: world.lab.chainId, name: 'First' },
          { address: second, chainId: world.lab.chainId, name: 'Second' },
        ],
        policy: { vetoAt: 'critical' },
        veto: {
          enabled: true,
          dryRun: true,
          keyEnv: 'CUSTOS_VETO_KEY',
          maxPerTargetPerHour: 1,
          maxPerHour: 2,
        },
      },
      undefined,
      env(),
    )
    const outcome = (id: string) =>
      eventually(
        async () =>
          (await bot.store.auditLog(500)).find((a) => a.action.startsWith('veto-') && a.subject === id)
            ?.action,
        30_000,
        `the veto decision on ${id}`,
      )
    try {
      const a = await proposeBybit(first, 0)
      expect(await outcome(a.id)).toBe('veto-dry-run')
      // The same Safe again within the hour: its budget is spent.
      const b = await proposeBybit(first, 1)
      expect(await outcome(b.id)).toBe('veto-rate-limited')
      // Another Safe has its own budget, up to maxPerHour in all.
      const c = await proposeBybit(second, 0)
      expect(await outcome(c.id)).toBe('veto-dry-run')
      const third = await world.lab.createSafe({ owners, threshold: 2 })
      await bot.stop()
      const again = await startBot(
        world,
        {
          dataDir,
          safes: [{ address: third, chainId: world.lab.chainId, name: 'Third' }],
          policy: { vetoAt: 'critical' },
          veto: {
            enabled: true,
            dryRun: true,
            keyEnv: 'CUSTOS_VETO_KEY',
            maxPerTargetPerHour: 1,
            maxPerHour: 2,
          },
        },
        undefined,
        env(),
      )
      try {
        const d = await proposeBybit(third, 0)
        const decided = await eventually(
          async () =>
            (await again.store.auditLog(500)).find((x) => x.action.startsWith('veto-') && x.subject === d.id),
          30_000,
          'the third Safe decision',
        )
        // Two vetoes this hour already (the budget outlives a restart): the third Safe waits.
        expect(decided.action).toBe('veto-rate-limited')
        expect((decided.details as { message: string }).message).toMatch(/1 per target, 2 in all, per hour/)
      } finally {
        await again.stop()
      }
    } finally {
      await bot.stop()
    }
  })

  it('signs no rejection beyond veto.maxNonceAhead of the Safe nonce: refused, audited and escalated', async () => {
    const safe = await world.lab.createSafe({
      owners: [world.owners.A.address, world.owners.B.address, guardian.address],
      threshold: 2,
    })
    const bot = await startBot(world, config(safe, { dryRun: false, maxNonceAhead: 3 }), undefined, env())
    try {
      const far = await proposeBybit(safe, 4)
      const refused = await eventually(
        async () =>
          (await bot.store.auditLog(200)).find((a) => a.action.startsWith('veto-') && a.subject === far.id),
        30_000,
        'the decision at nonce 4',
      )
      expect(refused.action).toBe('veto-refused')
      expect((refused.details as { message: string }).message).toBe(
        "nonce 4 is 4 past the Safe's nonce 0, beyond veto.maxNonceAhead (3): no rejection is signed that far ahead; escalated to the signers instead",
      )
      expect((await bot.store.getEscalation(far.id))?.status).toBe('open')
      await eventually(
        () =>
          world.receiver
            .others()
            .find((r) => r.json.update?.proposalId === far.id && r.json.update.event === 'escalated'),
        15_000,
        'the escalation update',
      )
      // Within the distance, the rejection is signed and proposed (a refusal spent no budget).
      const near = await proposeBybit(safe, 3)
      const proposed = await eventually(
        async () =>
          (await bot.store.auditLog(200)).find((a) => a.action.startsWith('veto-') && a.subject === near.id),
        30_000,
        'the decision at nonce 3',
      )
      expect(proposed.action).toBe('veto-proposed')
      const rejections = (await world.api.getPendingTransactions(safe)).results.filter(
        (t) => t.to === safe && (t.data ?? '0x') === '0x' && t.value === '0',
      )
      expect(rejections.map((t) => t.nonce)).toEqual(['3'])
    } finally {
      await bot.stop()
    }
  })

  it('checks that the guardian is an owner, and how far ahead the nonce is, before signing anything', async () => {
    const safe = await world.lab.createSafe({
      owners: [world.owners.A.address, world.owners.B.address],
      threshold: 2,
    })
    const bot = await startBot(world, { ...config(safe, { dryRun: false }), policy: {} }, undefined, env())
    try {
      const { id } = await proposeBybit(safe)
      const stored = await eventually(async () => bot.store.getProposal(id), 30_000, 'the proposal')
      // The real signer, counting what it is asked to sign.
      const real = createVetoSigner(loadVetoKey({ env: env(), keyEnv: 'CUSTOS_VETO_KEY' }))
      let signed = 0
      const signer: VetoSigner = {
        ...real,
        signSafeRejection: (input) => {
          signed++
          return real.signSafeRejection(input)
        },
      }
      const service = () => createServiceClient({ chainId: world.lab.chainId, url: world.service.url })
      const vetoer = createVetoer(bot.watcher.ctx, { signer, proposer: service })
      const outcome = await vetoer.veto(stored, { kind: 'chat', actor: 'alice via discord:1' })
      expect(outcome.status).toBe('refused')
      expect(outcome.message).toMatch(/^the guardian 0x[0-9a-fA-F]{40} is not an owner of 0x[0-9a-fA-F]{40}/)
      expect(signed).toBe(0)
      // An owner now, but the proposal is far ahead: nothing signed either.
      const owned = await world.lab.createSafe({
        owners: [world.owners.A.address, guardian.address],
        threshold: 2,
      })
      const far = await proposeBybit(owned, 11)
      const farOutcome = await vetoer.veto(
        {
          ...stored,
          id: far.id,
          target: { kind: 'safe', address: owned },
          key: '11',
          origin: { ...(stored.origin as SafeOrigin), safe: owned, nonce: 11n, safeTxHash: far.safeTxHash },
        },
        { kind: 'chat', actor: 'alice via discord:1' },
      )
      expect(farOutcome.status).toBe('refused')
      expect(farOutcome.message).toMatch(/beyond veto.maxNonceAhead \(10\)/)
      expect(signed).toBe(0)
    } finally {
      await bot.stop()
    }
  })
})
