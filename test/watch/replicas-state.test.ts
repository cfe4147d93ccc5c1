import { encodeFunctionData, getAddress, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LabAccount } from '../../src/lab/index.js'
import { type LocalPostgres, startPostgres } from '../../src/lab/postgres.js'
import { openPostgresStore } from '../../src/store/postgres.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// Two replicas, one reading the Safe's events and the other polling its transaction service:
// what the chain changes reaches the poller through the store. A module removes an owner
// (the Safe's nonce does not move): the pending transaction that owner signed is judged again.

const PAYEE = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const safeAbi = parseAbi([
  'function enableModule(address module)',
  'function removeOwner(address prevOwner, address owner, uint256 _threshold)',
  'function getOwners() view returns (address[])',
  'function execTransactionFromModule(address to, uint256 value, bytes data, uint8 operation) returns (bool)',
])

let world: World
let db: LocalPostgres
beforeAll(async () => {
  ;[world, db] = await Promise.all([startWorld(), startPostgres()])
}, 60_000)
afterAll(async () => {
  await world?.stop()
  await db?.stop()
})

describe('replicas reading one Safe from two sides', () => {
  it('judges a pending transaction again when the other replica sees its signer removed on chain', {
    timeout: 90_000,
  }, async () => {
    const pg = { driver: 'postgres', leaseSeconds: 3 }
    const replica = async (name: string, sources: Record<string, unknown>) =>
      startBot(
        world,
        { store: pg, sources },
        undefined,
        {},
        undefined,
        await openPostgresStore(db.url, { replicaId: name }),
      )
    const events = await replica('events', { txService: { enabled: false } })
    const poller = await replica('poller', {
      txService: { intervalSeconds: 1 },
      chainEvents: { enabled: false },
    })
    try {
      const { owners, lab, safe } = world
      const id = (h: string) => `${lab.chainId}:safe:${h.toLowerCase()}`
      const module = lab.accounts[6] as LabAccount
      const kitA = await lab.kit(safe, owners.A)
      const kitB = await lab.kit(safe, owners.B)
      const enable = await kitA.createTransaction({
        transactions: [
          {
            to: safe,
            value: '0',
            data: encodeFunctionData({ abi: safeAbi, functionName: 'enableModule', args: [module.address] }),
          },
        ],
        options: { nonce: 0 },
      })
      await kitB.executeTransaction(await kitB.signTransaction(await kitA.signTransaction(enable)))

      // A proposes, signed; the poller judges it.
      const p = await world.propose(owners.A, { to: PAYEE, value: 1n, nonce: 1 })
      const first = await eventually(() => poller.store.latestReport(id(p.safeTxHash)), 30_000, 'the report')
      const codes = (r: { json: unknown }) =>
        (r.json as { findings: Array<{ guard: string; code: string }> }).findings.map(
          (f) => `${f.guard}/${f.code}`,
        )
      expect(codes(first)).not.toContain('signature-invalid/not-an-owner')

      // The module removes A: no nonce moves, only the chain's events say so.
      const list = await lab.public.readContract({ address: safe, abi: safeAbi, functionName: 'getOwners' })
      const at = list.indexOf(owners.A.address)
      const prev = at === 0 ? '0x0000000000000000000000000000000000000001' : (list[at - 1] as `0x${string}`)
      await lab.wallet.writeContract({
        account: module.address,
        chain: null,
        address: safe,
        abi: safeAbi,
        functionName: 'execTransactionFromModule',
        args: [
          safe,
          0n,
          encodeFunctionData({
            abi: safeAbi,
            functionName: 'removeOwner',
            args: [prev, owners.A.address, 2n],
          }),
          0,
        ],
      })
      // The poller judges it again: A's signature is no longer an owner's.
      await eventually(
        async () => {
          const r = await poller.store.latestReport(id(p.safeTxHash))
          return r && r.id !== first.id && codes(r).includes('signature-invalid/not-an-owner') ? r : undefined
        },
        30_000,
        "the poller's new judgement",
      )
    } finally {
      await poller.stop()
      await events.stop()
    }
  })
})
