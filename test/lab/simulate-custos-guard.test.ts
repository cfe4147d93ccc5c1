import { createRequire } from 'node:module'
import type { SafeTransaction } from '@safe-global/types-kit'
import {
  type Abi,
  type Address,
  encodeFunctionData,
  getAddress,
  type Hash,
  type Hex,
  parseAbi,
  parseEther,
  toFunctionSelector,
  zeroAddress,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployGuardAttack } from '../../src/lab/guard.js'
import { guardAttacks } from '../../src/lab/guard-attacks.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import type { CustosGuardView } from '../../src/model/custos-guard.js'
import type { Report } from '../../src/model/report.js'
import { reportToJson } from '../../src/model/report-json.js'
import type { SafeTx } from '../../src/model/safe.js'
import type { Simulation } from '../../src/model/simulation.js'
import { createConfiguredSimulator, inspectSafeTransaction } from '../../src/pipeline.js'
import { custosGuardAbi, custosGuardBytecode, setGuardCalldata } from '../../src/respond/guard/contract.js'
import { readGuardDeployment } from '../../src/respond/guard/read.js'
import { renderReportPage } from '../../src/server/report-page.js'
import { INTENT_GUARD } from '../../src/simulate/intent-guard.js'
import { createRpcClient } from '../../src/sources/rpc.js'
import { cli } from '../cli/run.js'
import { runtime } from '../helpers/build.js'
import {
  advance,
  DAY,
  fieldsOf,
  type GuardWorld,
  guardedSafe,
  guardianDoes,
  HOUR,
  hashOf,
  schedule,
  signTx,
} from '../helpers/guard.js'
import { type Call, startRpcProxy } from '../helpers/rpc-proxy.js'

// What `--simulate` says about a transaction on a Safe 1.4.1 that runs the custos Guard: whether the guard lets it
// run now, after the delay, never, or only once scheduled, read from the guard's records at the simulated block,
// while still showing what the transaction intends. Driven through the CLI and the inspect API as users do, with
// the guard enabled, transactions signed, scheduled, approved and cancelled as owners and the guardian do.

const require = createRequire(import.meta.url)
const otherGuardArtifact =
  require('@safe-global/safe-contracts/build/artifacts/contracts/examples/guards/DelegateCallTransactionGuard.sol/DelegateCallTransactionGuard.json') as {
    abi: Abi
    bytecode: Hex
  }
const STATUS = toFunctionSelector('status(address,bytes32)')

let lab: Lab
const rt = runtime({ addressBook: [] })

beforeAll(async () => {
  lab = await startLab()
})
afterAll(() => lab?.stop())

const txOf = (w: GuardWorld, tx: SafeTransaction): SafeTx => ({ safe: w.safe, ...fieldsOf(tx) })

/** The transaction as `custos inspect --file -` reads it. */
const json = (tx: SafeTx) => JSON.stringify(tx, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))

/** Inspected through the pipeline with a simulator of its own (a fresh fork of the lab as it is now). */
async function inspect(tx: SafeTx): Promise<Report> {
  const simulator = createConfiguredSimulator(rt)
  try {
    return await inspectSafeTransaction(rt, {
      source: { tx, confirmations: [] },
      client: createRpcClient([lab.rpcUrl]),
      simulate: { simulator, upstreams: [lab.rpcUrl] },
    })
  } finally {
    await simulator.close()
  }
}
const simOf = (r: Report): Simulation => {
  if (!r.simulation?.ok) throw new Error(`no simulation: ${JSON.stringify(r.simulation)}`)
  return r.simulation.simulation
}
const custosOf = (r: Report): CustosGuardView => {
  const custos = simOf(r).guard?.custos
  if (!custos) throw new Error(`no custos Guard view: ${JSON.stringify(simOf(r).guard)}`)
  return custos
}
const blockTime = async () => (await lab.public.getBlock()).timestamp
const balanceChange = (sim: Simulation | undefined) =>
  sim?.assetChanges.map((c) => ({ standard: c.standard, to: c.to, amount: c.amount }))

describe('simulating a transaction on a Safe 1.4.1 that runs the custos Guard', () => {
  it('not scheduled: says it needs a schedule (or an approval), and still shows what it intends', async () => {
    const w = await guardedSafe(lab, '1.4.1')
    const tx = txOf(w, await signTx(w, { to: w.stranger.address, value: parseEther('1') }))

    const text = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--simulate'], { stdin: json(tx) })
    expect(text.stderr).toBe('')
    expect(text.stdout).toContain(
      "custos Guard  runs only once scheduled: neither approved nor scheduled: someone must schedule it with the owners' signatures, then wait its delay (1 h), unless the guardian approves it",
    )
    expect(text.stdout).toContain("The Safe's guard blocks it. What it intends with the guard cleared:")
    expect(text.stdout.indexOf('custos Guard')).toBeLessThan(text.stdout.indexOf('result        FAILS'))

    const r = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--simulate', '--format', 'json'], {
      stdin: json(tx),
    })
    const { simulation } = JSON.parse(r.stdout)
    expect(simulation.success).toBe(false)
    expect(simulation.guard).toMatchObject({
      address: w.guard,
      blocked: true,
      custos: {
        runs: 'needs-schedule',
        guardian: w.guardian.address,
        delay: HOUR,
        removalDelay: 7 * DAY,
        epoch: 1,
        guardChange: false,
        status: { approved: false, scheduled: false, cancelled: false, scheduledAt: '0' },
      },
    })
    expect(simulation.withoutGuard.success).toBe(true)
    expect(simulation.withoutGuard.assetChanges).toEqual([
      expect.objectContaining({
        standard: 'native',
        from: w.safe,
        to: w.stranger.address,
        amount: String(10n ** 18n),
      }),
    ])
  })

  it('scheduled: runs after the delay, from scheduledAt + delay; once the delay passed (time travel), runs now', async () => {
    const w = await guardedSafe(lab, '1.4.1')
    const signed = await signTx(w, { to: w.stranger.address, value: parseEther('2') })
    const scheduled = await schedule(w, signed)
    expect(scheduled.ok).toBe(true)
    const at = (
      await lab.public.getBlock({ blockHash: scheduled.ok ? scheduled.receipt.blockHash : undefined })
    ).timestamp

    const waiting = await inspect(txOf(w, signed))
    expect(custosOf(waiting)).toMatchObject({
      runs: 'after-delay',
      executableAt: at + BigInt(HOUR),
      guardChange: false,
      status: { scheduled: true, scheduledAt: at, executableAt: at + BigInt(HOUR) },
    })
    expect(simOf(waiting).success).toBe(false)
    expect(balanceChange(simOf(waiting).withoutGuard)).toEqual([
      { standard: 'native', to: w.stranger.address, amount: parseEther('2') },
    ])
    const text = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--simulate'], {
      stdin: json(txOf(w, signed)),
    })
    const iso = new Date(Number(at + BigInt(HOUR)) * 1000).toISOString().replace('.000Z', 'Z')
    expect(text.stdout).toContain(`custos Guard  runs after the delay, from ${iso}: scheduled at `)

    await advance(lab, HOUR)
    expect(await blockTime()).toBeGreaterThanOrEqual(at + BigInt(HOUR))
    const ready = await inspect(txOf(w, signed))
    expect(custosOf(ready).runs).toBe('now')
    expect(custosOf(ready).reason).toMatch(/its delay \(1 h\) has passed$/)
    expect(simOf(ready).success).toBe(true)
    expect(simOf(ready).guard?.blocked).toBe(false)
    expect(simOf(ready).withoutGuard).toBeUndefined()
  })

  it('cancelled by the guardian: never, and what it intends is still shown', async () => {
    const w = await guardedSafe(lab, '1.4.1')
    const signed = await signTx(w, { to: w.stranger.address, value: parseEther('3') })
    expect((await schedule(w, signed)).ok).toBe(true)
    expect((await guardianDoes(w, 'cancel', await hashOf(w, signed))).ok).toBe(true)
    await advance(lab, 2 * HOUR)

    const r = await inspect(txOf(w, signed))
    expect(custosOf(r)).toMatchObject({
      runs: 'never',
      reason: 'cancelled by the guardian; it cannot be scheduled again',
      status: { cancelled: true },
    })
    expect(custosOf(r).executableAt).toBeUndefined()
    expect(simOf(r).success).toBe(false)
    expect(simOf(r).revertReason).toMatch(/CancelledTx/)
    expect(balanceChange(simOf(r).withoutGuard)).toEqual([
      { standard: 'native', to: w.stranger.address, amount: parseEther('3') },
    ])
    const page = renderReportPage(reportToJson(r) as Record<string, unknown>, { reportId: 1, createdAt: 0 })
    expect(page).toContain('never runs: cancelled by the guardian; it cannot be scheduled again</strong>')
    expect(page).toContain('<h3 id="sim-intent">What it intends with the guard cleared</h3>')
    expect(page).toMatch(/<p id="sim-intent-result">Succeeds/)
  })

  it('approved by the guardian: runs now, and the simulation runs it through the guard', async () => {
    const w = await guardedSafe(lab, '1.4.1')
    const signed = await signTx(w, { to: w.stranger.address, value: parseEther('4') })
    expect((await guardianDoes(w, 'approve', await hashOf(w, signed))).ok).toBe(true)

    const r = await inspect(txOf(w, signed))
    expect(custosOf(r)).toMatchObject({
      runs: 'now',
      reason: 'approved by the guardian',
      status: { approved: true },
    })
    expect(simOf(r).success).toBe(true)
    expect(balanceChange(simOf(r))).toEqual([
      { standard: 'native', to: w.stranger.address, amount: parseEther('4') },
    ])
    const out = reportToJson(r) as { simulation: { guard: { custos: Record<string, unknown> } } }
    expect(out.simulation.guard.custos).toMatchObject({ runs: 'now', delay: HOUR, removalDelay: 7 * DAY })
  })

  it('the canonical rejection runs now, unscheduled', async () => {
    const w = await guardedSafe(lab, '1.4.1')
    const r = await inspect(txOf(w, await signTx(w, { to: w.safe })))
    expect(custosOf(r)).toMatchObject({
      runs: 'now',
      reason: expect.stringMatching(/^the canonical rejection/),
    })
    expect(simOf(r).success).toBe(true)
  })

  it('a guard removal waits removalDelay, which no approval shortens', async () => {
    const w = await guardedSafe(lab, '1.4.1')
    const signed = await signTx(w, { to: w.safe, data: setGuardCalldata(zeroAddress) })
    expect((await guardianDoes(w, 'approve', await hashOf(w, signed))).ok).toBe(true)

    const unscheduled = await inspect(txOf(w, signed))
    expect(custosOf(unscheduled)).toMatchObject({ runs: 'needs-schedule', guardChange: true })
    expect(custosOf(unscheduled).reason).toMatch(
      /then wait its removalDelay \(7 d\), as it changes the guard or its settings; the guardian can neither approve it early nor cancel it$/,
    )

    const scheduled = await schedule(w, signed)
    expect(scheduled.ok).toBe(true)
    const at = (
      await lab.public.getBlock({ blockHash: scheduled.ok ? scheduled.receipt.blockHash : undefined })
    ).timestamp
    await advance(lab, 2 * HOUR) // past delay, far from removalDelay
    const waiting = await inspect(txOf(w, signed))
    expect(custosOf(waiting)).toMatchObject({
      runs: 'after-delay',
      executableAt: at + BigInt(7 * DAY),
      guardChange: true,
    })
    expect(simOf(waiting).success).toBe(false)
  })

  it('a guard slot cleared by DELEGATECALL code is a guard change too: its approval does not count', async () => {
    const w = await guardedSafe(lab, '1.4.1')
    const attack = await deployGuardAttack(lab, 'ClearGuardSlot')
    const data = encodeFunctionData({ abi: guardAttacks.contracts.ClearGuardSlot.abi, functionName: 'run' })
    const signed = await signTx(w, { to: attack, data, operation: 1 })
    expect((await guardianDoes(w, 'approve', await hashOf(w, signed))).ok).toBe(true)
    const r = await inspect(txOf(w, signed))
    expect(simOf(r).revertReason).toMatch(/GuardChangeNotCleared/)
    expect(custosOf(r)).toMatchObject({
      runs: 'needs-schedule',
      guardChange: true,
      status: { approved: true },
    })
    // What it intends shows the removal itself, from the real guard, and nothing of the stand-in
    // guard the run of intent uses.
    const intent = simOf(r).withoutGuard
    expect(intent?.safeChanges).toContainEqual({ field: 'guard', before: w.guard, after: zeroAddress })
    const shown = JSON.stringify(intent?.trace, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
    expect(shown.toLowerCase()).not.toContain(INTENT_GUARD.toLowerCase())
    expect(r.findings.map((f) => `${f.guard}/${f.code}`)).toContain('safe-state-change/guard-changed')
  })

  it('says "unknown" when the records let it run now but the guard stops the simulated transaction', async () => {
    const w = await guardedSafe(lab, '1.4.1')
    const attack = await deployGuardAttack(lab, 'PopOwnFrameThenUnguard')
    const data = encodeFunctionData({
      abi: guardAttacks.contracts.PopOwnFrameThenUnguard.abi,
      functionName: 'run',
      args: [w.guard, attack],
    })
    const signed = await signTx(w, { to: attack, data, operation: 1 })
    expect((await guardianDoes(w, 'approve', await hashOf(w, signed))).ok).toBe(true)
    const r = await inspect(txOf(w, signed))
    expect(simOf(r).guard?.blocked).toBe(true)
    expect(custosOf(r).runs).toBe('unknown')
    expect(custosOf(r).reason).toMatch(
      /^its records let it run now \(approved by the guardian\), yet the guard stopped the simulated transaction: .*HookMismatch/,
    )
  })

  it('a transaction at a nonce already used never runs, whatever the guard holds for it', async () => {
    const w = await guardedSafe(lab, '1.4.1') // enabling the guard used nonce 0
    const signed = await signTx(w, { to: w.stranger.address, value: 7n, nonce: 0n })
    expect((await guardianDoes(w, 'approve', await hashOf(w, signed))).ok).toBe(true)
    const r = await inspect(txOf(w, signed))
    expect(custosOf(r)).toMatchObject({
      runs: 'never',
      reason: 'its nonce 0 is already used (the Safe is at 1): it can never run',
    })
  })

  it('a Safe that set the guard but never configured it passes through', async () => {
    const w = await guardedSafe(lab, '1.4.1', { enable: false })
    const kit = await w.kit(w.owners[0] as LabAccount)
    const setGuard = await kit.executeTransaction(
      await signTx(w, { to: w.safe, data: setGuardCalldata(w.guard) }),
    )
    await lab.public.waitForTransactionReceipt({ hash: setGuard.hash as Hash })

    const r = await inspect(txOf(w, await signTx(w, { to: w.stranger.address, value: 5n })))
    expect(simOf(r).guard?.address).toBe(w.guard)
    expect(custosOf(r)).toMatchObject({ runs: 'now', epoch: 0 })
    expect(custosOf(r).reason).toMatch(/never configured/)
    expect(simOf(r).success).toBe(true)
  })

  it('knows the custos Guard at an address of its own, not only the deterministic one', async () => {
    const deploy = await lab.wallet.deployContract({
      account: lab.accounts[0]?.address as Address,
      chain: null,
      abi: custosGuardAbi,
      bytecode: custosGuardBytecode,
    })
    const guard = getAddress(
      (await lab.public.waitForTransactionReceipt({ hash: deploy })).contractAddress as Address,
    )
    const w = await guardedSafe(lab, '1.4.1', { guard })
    const r = await inspect(txOf(w, await signTx(w, { to: w.stranger.address, value: 6n })))
    expect(simOf(r).guard?.address).toBe(guard)
    expect(custosOf(r).runs).toBe('needs-schedule')
    // The veto and `custos guard status` know it there too (its code embeds its own address).
    expect((await readGuardDeployment(lab.public, guard)).codeMatches).toBe(true)
    expect((await readGuardDeployment(lab.public, w.safe)).codeMatches).toBe(false)
  })

  it("keeps today's behaviour for a Safe with another guard: blocked, what it intends, no custos Guard view", async () => {
    const w = await guardedSafe(lab, '1.4.1', { enable: false })
    const deploy = await lab.wallet.deployContract({
      account: lab.accounts[0]?.address as Address,
      chain: null,
      abi: otherGuardArtifact.abi,
      bytecode: otherGuardArtifact.bytecode,
      args: [lab.contracts.multiSendCallOnly],
    })
    const other = getAddress(
      (await lab.public.waitForTransactionReceipt({ hash: deploy })).contractAddress as Address,
    )
    const kit = await w.kit(w.owners[0] as LabAccount)
    const setGuard = await kit.executeTransaction(
      await signTx(w, { to: w.safe, data: setGuardCalldata(other) }),
    )
    await lab.public.waitForTransactionReceipt({ hash: setGuard.hash as Hash })

    // The example guard refuses any DELEGATECALL but to MultiSendCallOnly.
    const data = encodeFunctionData({
      abi: parseAbi(['function transfer(address to, uint256 amount)']),
      functionName: 'transfer',
      args: [w.stranger.address, 1n],
    })
    const r = await inspect(txOf(w, await signTx(w, { to: lab.token, data, operation: 1 })))
    expect(simOf(r).guard).toEqual({ address: other, blocked: true })
    expect(simOf(r).withoutGuard).toBeDefined()
    const text = await cli(['inspect', '--file', '-', '--rpc', lab.rpcUrl, '--simulate'], {
      stdin: json(txOf(w, await signTx(w, { to: lab.token, data, operation: 1 }))),
    })
    expect(text.stdout).toContain("The Safe's guard blocks it. What it intends with the guard cleared:")
    expect(text.stdout).not.toContain('custos Guard')

    // A DELEGATECALL that clears the guard's slot: blocked by that guard, and what it intends is
    // the guard's removal (clearing the slot to zero for the run of intent once hid it).
    const attack = await deployGuardAttack(lab, 'ClearGuardSlot')
    const clear = encodeFunctionData({ abi: guardAttacks.contracts.ClearGuardSlot.abi, functionName: 'run' })
    const removal = await inspect(txOf(w, await signTx(w, { to: attack, data: clear, operation: 1 })))
    expect(simOf(removal).guard).toEqual({ address: other, blocked: true })
    expect(simOf(removal).withoutGuard?.safeChanges).toContainEqual({
      field: 'guard',
      before: other,
      after: zeroAddress,
    })
    expect(removal.findings).toContainEqual(
      expect.objectContaining({
        guard: 'safe-state-change',
        code: 'guard-changed',
        message: expect.stringMatching(/^blocked by the Safe's guard, but intended: /),
      }),
    )
  })
})

describe('on Safe 1.5.0, where the custos Guard is the module guard too', () => {
  it('needs a schedule until the guardian approves; then runs now', async () => {
    const w = await guardedSafe(lab, '1.5.0')
    const signed = await signTx(w, { to: w.stranger.address, value: parseEther('1') })
    const before = await inspect(txOf(w, signed))
    expect(custosOf(before)).toMatchObject({ runs: 'needs-schedule', guardChange: false })
    expect(simOf(before).withoutGuard?.success).toBe(true)
    expect((await guardianDoes(w, 'approve', await hashOf(w, signed))).ok).toBe(true)
    const after = await inspect(txOf(w, signed))
    expect(custosOf(after).runs).toBe('now')
    expect(simOf(after).success).toBe(true)
  })
})

describe('a custos Guard the node does not answer well', () => {
  const isStatusRead = (guard: Address) => (c: Call) => {
    const [call] = (c.params ?? []) as [{ to?: string; data?: string; input?: string }?]
    return (
      c.method === 'eth_call' &&
      call?.to?.toLowerCase() === guard.toLowerCase() &&
      (call.data ?? call.input ?? '').startsWith(STATUS)
    )
  }
  const direct = (url: string, tx: SafeTx) =>
    cli(
      [
        'inspect',
        '--file',
        '-',
        '--rpc',
        url,
        '--simulate',
        '--simulation-mode',
        'direct',
        '--format',
        'json',
      ],
      { stdin: json(tx) },
    )

  it.each([
    ['an answer that does not decode', 'alter', /could not be read/],
    ['a transport failure', 'fail', /could not be read: eth_call: HTTP 503/],
  ] as const)(
    'says "unknown" with the reason for %s, never "now", and the simulation still runs',
    async (_, how, reason) => {
      const w = await guardedSafe(lab, '1.4.1')
      const signed = await signTx(w, { to: w.stranger.address, value: parseEther('1') })
      expect((await guardianDoes(w, 'approve', await hashOf(w, signed))).ok).toBe(true)
      const bad = isStatusRead(w.guard)
      const proxy = await startRpcProxy(
        lab.rpcUrl,
        how === 'alter' ? { alter: (c, result) => (bad(c) ? '0x1234' : result) } : { fail: bad },
      )
      try {
        const r = await direct(proxy.url, txOf(w, signed))
        const { simulation } = JSON.parse(r.stdout)
        expect(simulation.available).toBe(true)
        // The approved transaction runs through the guard; only the records could not be read.
        expect(simulation.success).toBe(true)
        expect(simulation.guard.custos.runs).toBe('unknown')
        expect(simulation.guard.custos.reason).toMatch(reason)
        const text = await cli(
          ['inspect', '--file', '-', '--rpc', proxy.url, '--simulate', '--simulation-mode', 'direct'],
          { stdin: json(txOf(w, signed)) },
        )
        expect(text.stdout).toMatch(
          /custos Guard {2}unknown: the custos Guard's settings or status could not be read/,
        )
      } finally {
        await proxy.close()
      }
    },
  )
})
