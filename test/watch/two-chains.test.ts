import { encodeFunctionData, getAddress, type Hex, parseAbi, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { startTxServiceEmulator, type TxServiceEmulator } from '../../src/lab/tx-service.js'
import { loadApiKit } from '../../src/sources/tx-service.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

// One custos watching two chains: a Safe at the same address on both (as a CREATE2 deployment
// gives), each chain with its node, its transaction service, its fork, its cursors, its alerts,
// and its own veto budget.

const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])

let world: World
let other: { lab: Lab; service: TxServiceEmulator }
let guardian: LabAccount

beforeAll(async () => {
  world = await startWorld()
  const lab = await startLab({ chainId: 31338 })
  other = { lab, service: await startTxServiceEmulator(lab.rpcUrl) }
  guardian = world.lab.accounts[8] as LabAccount
  for (const l of [world.lab, lab]) await l.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
})
afterAll(async () => {
  await other?.service.close()
  await other?.lab.stop()
  await world?.stop()
})

/** A Bybit-style DELEGATECALL proposed by A to `service` for `safe` on `lab`. */
async function proposeBybit(lab: Lab, service: TxServiceEmulator, safe: `0x${string}`) {
  const kit = await lab.kit(safe, world.owners.A)
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
  const safeTxHash = (await kit.getTransactionHash(created)) as Hex
  const api = new (await loadApiKit())({ chainId: BigInt(lab.chainId), txServiceUrl: service.url })
  await api.proposeTransaction({
    safeAddress: safe,
    safeTransactionData: created.data,
    safeTxHash,
    senderAddress: world.owners.A.address,
    senderSignature: (await kit.signHash(safeTxHash)).data,
  })
  return `${lab.chainId}:safe:${safeTxHash}`
}

describe('two chains in one custos', () => {
  it('keeps forks, cursors, alerts and veto budgets apart for one address on two chains', {
    timeout: 90_000,
  }, async () => {
    const owners = [world.owners.A.address, world.owners.B.address, guardian.address]
    const spec = { owners, threshold: 2, saltNonce: 4242n, fund: parseEther('1') }
    const safe = await world.lab.createSafe(spec)
    expect(await other.lab.createSafe(spec)).toBe(safe)

    const bot = await startBot(
      world,
      {
        chains: {
          [world.lab.chainId]: { rpc: [world.lab.rpcUrl], txService: world.service.url },
          [other.lab.chainId]: { rpc: [other.lab.rpcUrl], txService: other.service.url },
        },
        safes: [
          { address: safe, chainId: world.lab.chainId, name: 'Vault' },
          { address: safe, chainId: other.lab.chainId, name: 'Vault L2' },
        ],
        policy: { vetoAt: 'critical' },
        // One veto per Safe per hour: the same address on the other chain is another Safe.
        veto: { enabled: true, dryRun: true, keyEnv: 'CUSTOS_VETO_KEY', maxPerTargetPerHour: 1 },
      },
      undefined,
      { CUSTOS_VETO_KEY: guardian.privateKey },
    )
    try {
      const ids = [
        await proposeBybit(world.lab, world.service, safe),
        await proposeBybit(other.lab, other.service, safe),
      ]
      expect(ids[0]).not.toBe(ids[1])

      // An alert each, under its chain's key and its Safe's name.
      for (const [i, id] of ids.entries()) {
        const alert = await eventually(
          () => world.receiver.accepted().find((r) => r.json.alert.dedupKey === `${id}:critical`),
          30_000,
          `the alert on chain ${id.split(':')[0]}`,
        )
        expect(alert.json.alert.title).toMatch(
          new RegExp(`^CRITICAL · ${i === 0 ? 'Vault' : 'Vault L2'} · nonce 0`),
        )
      }
      // A veto decision each: neither budget was spent by the other chain's veto.
      for (const id of ids) {
        const veto = await eventually(
          async () =>
            (await bot.store.auditLog(200)).find((a) => a.subject === id && a.action.startsWith('veto-')),
          30_000,
          `the veto decision on ${id}`,
        )
        expect(veto.action).toBe('veto-dry-run')
      }

      // Each simulated on a fork of its own chain.
      for (const id of ids) {
        const report = (await bot.store.latestReport(id))?.json as { simulation?: { available: boolean } }
        expect(report.simulation?.available).toBe(true)
      }
      const forks = bot.watcher.ctx.simulator.forks
      expect(forks.stats().forks).toBe(2)
      const forkChains = await Promise.all(
        forks.processes().map(async (p) => {
          const port = p.spawnargs[p.spawnargs.indexOf('--port') + 1]
          const res = await fetch(`http://127.0.0.1:${port}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
          })
          return Number(((await res.json()) as { result: string }).result)
        }),
      )
      expect(forkChains.sort()).toEqual([world.lab.chainId, other.lab.chainId].sort())

      // Each chain's cursor follows its own chain.
      await other.lab.test.mine({ blocks: 50 })
      const head = await other.lab.public.getBlockNumber()
      const cursor = (chainId: number) =>
        bot.store.cursors().then((cs) => cs.find((c) => c.source === 'safe-events' && c.chainId === chainId))
      await eventually(
        async () => (BigInt((await cursor(other.lab.chainId))?.value ?? -1) >= head ? true : undefined),
        15_000,
        'the second chain cursor at its head',
      )
      expect(BigInt((await cursor(world.lab.chainId))?.value ?? -1)).toBeLessThan(head)

      // An execution on one chain is that chain's alone.
      const kit = await other.lab.kit(safe, world.owners.A)
      let tx = await kit.createTransaction({ transactions: [{ to: ATTACKER, value: '1', data: '0x' }] })
      tx = await (await other.lab.kit(safe, world.owners.B)).signTransaction(await kit.signTransaction(tx))
      const unqueued = ((await kit.getTransactionHash(tx)) as Hex).toLowerCase()
      await other.lab.public.waitForTransactionReceipt({
        hash: (await kit.executeTransaction(tx)).hash as Hex,
      })
      await eventually(
        () => world.receiver.unique().find((k) => k === `${other.lab.chainId}:unqueued:${unqueued}`),
        15_000,
        'the unqueued execution on the second chain',
      )
      expect(world.receiver.unique().filter((k) => k.includes(`:unqueued:${unqueued}`))).toEqual([
        `${other.lab.chainId}:unqueued:${unqueued}`,
      ])
    } finally {
      await bot.stop()
    }
  })
})
