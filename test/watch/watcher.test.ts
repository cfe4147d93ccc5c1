import { encodeFunctionData, getAddress, type Hex, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../src/lab/contracts.js'
import type { Store } from '../../src/model/store.js'
import { eventually, startBot, startWorld, type World } from '../helpers/watch-world.js'

const ATTACKER = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])

let world: World
let bot: Awaited<ReturnType<typeof startBot>>
let store: Store
let server: { url: string }

beforeAll(async () => {
  world = await startWorld()
  await world.lab.test.setCode({ address: MALICIOUS, bytecode: SLOT0_WRITER })
  bot = await startBot(world)
  store = bot.store
  server = bot.server
})
afterAll(async () => {
  await bot?.stop()
  await world?.stop()
})

const alertsFor = (hash: string) =>
  world.receiver.accepted().filter((r) => r.json.alert.dedupKey.includes(hash.toLowerCase()))

describe('the watch loop on the lab, through the transaction service emulator', () => {
  it('alerts on a proposed Bybit-style transaction within seconds, once, with a report page', async () => {
    const { safeTxHash } = await world.propose(world.owners.A, {
      to: MALICIOUS,
      operation: 1,
      data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [ATTACKER, 0n] }),
    })
    const [alert] = await eventually(
      () => (alertsFor(safeTxHash).length ? alertsFor(safeTxHash) : undefined),
      15_000,
      'the alert',
    )
    expect(alert?.json.alert).toMatchObject({
      level: 'critical',
      title: expect.stringMatching(/^CRITICAL · Treasury · nonce 0/),
    })
    const link = (alert?.json.alert as { link?: string } | undefined)?.link as string
    const page = await fetch(link)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(safeTxHash)
    expect(html).toContain('safe-state-change/singleton-changed')
    // A new confirmation runs the pipeline again; the verdict is the same, so no second alert.
    const reports = async () => (await store.latestReport(`${world.lab.chainId}:safe:${safeTxHash}`))?.id
    const first = await reports()
    await world.confirm(world.owners.B, safeTxHash)
    await eventually(async () => ((await reports()) !== first ? true : undefined), 15_000, 'a second report')
    await new Promise((r) => setTimeout(r, 500))
    expect(alertsFor(safeTxHash)).toHaveLength(1)
  })

  it('marks a proposal executed when it runs on chain, and says so in the audit log', async () => {
    const { safeTxHash } = await world.propose(world.owners.A, { to: ATTACKER, value: 1n, nonce: 0 })
    await world.confirm(world.owners.B, safeTxHash)
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    await eventually(async () => (await store.getProposal(id)) ?? undefined, 15_000, 'the proposal')
    const kit = await world.lab.kit(world.safe, world.owners.A)
    const tx = await world.api.getTransaction(safeTxHash)
    const res = await kit.executeTransaction(tx)
    await world.lab.public.waitForTransactionReceipt({ hash: res.hash as Hex })
    await eventually(
      async () => ((await store.getProposal(id))?.status === 'executed' ? true : undefined),
      15_000,
      'executed status',
    )
    expect((await store.auditLog(50)).some((a) => a.action === 'executed' && a.subject === id)).toBe(true)
  })

  it('alerts on an execution that was never queued in the service', async () => {
    const kit = await world.lab.kit(world.safe, world.owners.A)
    let tx = await kit.createTransaction({ transactions: [{ to: ATTACKER, value: '2', data: '0x' }] })
    tx = await (await world.lab.kit(world.safe, world.owners.C)).signTransaction(
      await kit.signTransaction(tx),
    )
    const hash = (await kit.getTransactionHash(tx)) as Hex
    const res = await kit.executeTransaction(tx)
    await world.lab.public.waitForTransactionReceipt({ hash: res.hash as Hex })
    const [alert] = await eventually(
      () => (alertsFor(hash).length ? alertsFor(hash) : undefined),
      15_000,
      'the unqueued alert',
    )
    expect(alert?.json.alert).toMatchObject({ level: 'high', title: 'HIGH · Treasury · unqueued execution' })
  })

  it('alerts when a queued transaction is executed by someone who is neither owner nor relayer', async () => {
    const { safeTxHash } = await world.propose(world.owners.A, { to: ATTACKER, value: 3n })
    await world.confirm(world.owners.B, safeTxHash)
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    await eventually(async () => (await store.getProposal(id)) ?? undefined, 15_000, 'the proposal')
    const stranger = world.lab.accounts[8] as NonNullable<(typeof world.lab.accounts)[number]>
    const kit = await world.lab.kit(world.safe, stranger)
    const res = await kit.executeTransaction(await world.api.getTransaction(safeTxHash))
    await world.lab.public.waitForTransactionReceipt({ hash: res.hash as Hex })
    const alert = await eventually(
      () =>
        world.receiver
          .accepted()
          .find((r) => r.json.alert.dedupKey === `${world.lab.chainId}:executor:${safeTxHash}`),
      15_000,
      'the executor alert',
    )
    expect(alert.json.alert.summary).toContain(
      `executed by ${stranger.address}, who is neither an owner nor a known relayer`,
    )
  })

  it('alerts on a stranger executing a queued owner change too, judged by the owners before it', async () => {
    const stranger = world.lab.accounts[7] as NonNullable<(typeof world.lab.accounts)[number]>
    const data = encodeFunctionData({
      abi: parseAbi(['function addOwnerWithThreshold(address owner, uint256 _threshold)']),
      functionName: 'addOwnerWithThreshold',
      args: [stranger.address, 2n],
    })
    const { safeTxHash } = await world.propose(world.owners.A, { to: world.safe, data })
    await world.confirm(world.owners.B, safeTxHash)
    const id = `${world.lab.chainId}:safe:${safeTxHash}`
    await eventually(async () => (await store.getProposal(id)) ?? undefined, 15_000, 'the proposal')
    // Its AddedOwner comes before its ExecutionSuccess, and makes the stranger an owner.
    const kit = await world.lab.kit(world.safe, stranger)
    const res = await kit.executeTransaction(await world.api.getTransaction(safeTxHash))
    await world.lab.public.waitForTransactionReceipt({ hash: res.hash as Hex })
    const alert = await eventually(
      () =>
        world.receiver
          .accepted()
          .find((r) => r.json.alert.dedupKey === `${world.lab.chainId}:executor:${safeTxHash}`),
      15_000,
      'the executor alert',
    )
    expect(alert.json.alert.summary).toContain(
      `executed by ${stranger.address}, who is neither an owner nor a known relayer`,
    )
    await eventually(
      async () => ((await store.getProposal(id))?.status === 'executed' ? true : undefined),
      15_000,
      'executed',
    )
  })

  it('exports metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toMatch(/custos_proposals_seen_total\{chain="31337"\} [1-9]/)
    expect(text).toMatch(/custos_verdicts_total\{level="critical"\} [1-9]/)
    expect(text).toMatch(/custos_last_processed_block\{chain="31337"\} [1-9]/)
    expect(text).toMatch(/custos_simulation_seconds_bucket/)
    expect(text).toMatch(/custos_alerts_delivered_total\{channel="webhook:ops"\} [1-9]/)
  })
})
