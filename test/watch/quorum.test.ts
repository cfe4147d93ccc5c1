import { encodeFunctionData, getAddress, type Hex, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/schema.js'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import type { LabAccount } from '../../src/lab/index.js'
import { type LocalPostgres, startPostgres } from '../../src/lab/postgres.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// Agreement before acting (veto.quorum: 2): a replica that judges a proposal worth a veto alerts
// at once but does not veto alone; the veto goes out, once, when a second replica has judged the
// proposal itself (its own simulation, through its own RPC endpoints) and agrees.

const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])

let world: World
let db: LocalPostgres
let guardian: LabAccount
beforeAll(async () => {
  ;[world, db] = await Promise.all([startWorld(), startPostgres()])
  guardian = world.lab.accounts[8] as LabAccount
  await world.lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
}, 60_000)
afterAll(async () => {
  await world?.stop()
  await db?.stop()
})

describe('veto.quorum', () => {
  it('is refused without replicas (SQLite)', () => {
    expect(() => configSchema.parse({ veto: { quorum: 2 } })).toThrow(/veto.quorum|needs replicas/)
    expect(configSchema.parse({ veto: { quorum: 2 }, store: { driver: 'postgres' } }).veto.quorum).toBe(2)
  })

  it('alerts at once, and vetoes once a second replica judged the proposal worth a veto', {
    timeout: 120_000,
  }, async () => {
    const safe = await world.lab.createSafe({
      owners: [world.owners.A.address, world.owners.B.address, guardian.address],
      threshold: 2,
    })
    const config = {
      safes: [{ address: safe, chainId: world.lab.chainId, name: 'Vault' }],
      store: { driver: 'postgres', leaseSeconds: 3 },
      policy: { vetoAt: 'critical' },
      veto: { enabled: true, dryRun: false, keyEnv: 'CUSTOS_VETO_KEY', quorum: 2 },
    }
    const replica = async (name: string) =>
      startBot(
        world,
        config,
        undefined,
        { CUSTOS_VETO_KEY: guardian.privateKey },
        undefined,
        await openPostgresStore(db.url, { replicaId: name }),
      )
    const first = await replica('first')
    let second: Awaited<ReturnType<typeof replica>> | undefined
    try {
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
        options: { nonce: 0 },
      })
      const hash = (await kit.getTransactionHash(created)) as Hex
      await world.api.proposeTransaction({
        safeAddress: safe,
        safeTransactionData: created.data,
        safeTxHash: hash,
        senderAddress: world.owners.A.address,
        senderSignature: (await kit.signHash(hash)).data,
      })
      const id = `${world.lab.chainId}:safe:${hash}`
      // Alone: the alert goes out, the veto waits.
      await eventually(
        () => world.receiver.unique().find((k) => k === `${id}:critical`),
        30_000,
        'the critical alert',
      )
      const waiting = await eventually(
        async () => (await first.store.auditLog(100)).find((a) => a.action === 'veto-awaiting-quorum'),
        30_000,
        'the veto waiting',
      )
      expect(waiting.subject).toBe(id)
      expect(await first.store.vetoOutcomes(id)).toEqual([])

      // A second replica judges it by itself, agrees, and the veto goes out once.
      second = await replica('second')
      const votes = await eventually(
        async () => {
          const v = await first.store.replicas?.votes(id)
          return v && v.length === 2 ? v : undefined
        },
        60_000,
        'two votes',
      )
      expect(votes.map((v) => [v.level, v.veto])).toEqual([
        ['critical', true],
        ['critical', true],
      ])
      await eventually(
        async () => ((await first.store.vetoOutcomes(id)).includes('proposed') ? true : undefined),
        30_000,
        'the veto',
      )
      const audit = await first.store.auditLog(200)
      expect(audit.filter((a) => a.action === 'second-opinion' && a.subject === id)).toHaveLength(1)
      await new Promise((r) => setTimeout(r, 1500))
      expect(await first.store.vetoOutcomes(id)).toEqual(['proposed'])
      const pending = (await world.api.getPendingTransactions(safe)).results
      const rejection = pending.filter((t) => t.to === safe && (t.data ?? '0x') === '0x' && t.value === '0')
      expect(rejection.map((t) => t.nonce)).toEqual(['0'])
    } finally {
      await second?.stop()
      await first.stop()
    }
  })
})
