import fc from 'fast-check'
import { type Address, concat, encodeFunctionData, type Hash, type Hex, zeroAddress } from 'viem'
import { sign } from 'viem/accounts'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Lab, type LabAccount, startLab } from '../../../src/lab/index.js'
import type { LabSafeVersion } from '../../../src/lab/safe-versions.js'
import { packMultiSend } from '../../../src/model/multisend.js'
import type { SafeTx } from '../../../src/model/safe.js'
import { safeTxHashes } from '../../../src/model/safe-hash.js'
import {
  custosGuardAbi,
  GUARD_STORAGE_SLOT,
  guardCalldata,
  setGuardCalldata,
} from '../../../src/respond/guard/contract.js'
import { type GuardWorld, guardedSafe, readSlot, safeExecAbi } from '../../helpers/guard.js'
import {
  admits,
  apply,
  type Item,
  type Kind,
  type ModelState,
  recordOf,
  type Step,
} from './reference-model.js'

// Model-based property test: random sequences of owner (through anyone holding their signatures), guardian,
// stranger and time steps run on real Safes with the guard, each predicted by a small reference model
// (reference-model.ts) and compared with the chain after every step, together with the issue's invariants:
// nothing executes early unless approved or a rejection; a cancelled hash never executes; with a silent guardian
// every owner-signed transaction executes after its delay; whatever the guardian does, the owners remove the
// guard after removalDelay; only the Safe changes its settings. Each run starts from the same anvil snapshot.

const DELAY = 100
const REMOVAL_DELAY = 1000
const NONCES = 6
const KINDS: Kind[] = ['benign', 'removal', 'batchRemoval', 'settings', 'rejection']
const VERSIONS: LabSafeVersion[] = ['1.3.0', '1.4.1', '1.5.0']
const RUNS = Number(process.env.GUARD_PROPERTY_RUNS ?? 100)
const SEED = Number(process.env.GUARD_PROPERTY_SEED ?? 0x5afe)

type World = GuardWorld & { items: Item[]; txs: SafeTx[]; signatures: Hex[]; startNonce: bigint }

let lab: Lab
/** How often each kind of step succeeded or was refused, to see that the runs reach every rule. */
const tally: Record<string, number> = {}
const worlds = new Map<LabSafeVersion, World>()
let snapshot: Hex

async function signHash(hash: Hash, signers: LabAccount[]): Promise<Hex> {
  const sorted = [...signers].sort((x, y) => (x.address.toLowerCase() < y.address.toLowerCase() ? -1 : 1))
  return concat(await Promise.all(sorted.map((s) => sign({ hash, privateKey: s.privateKey, to: 'hex' }))))
}

function txOf(w: GuardWorld, kind: Kind, nonce: bigint): SafeTx {
  const base = {
    safe: w.safe,
    value: 0n,
    operation: 0 as const,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce,
  }
  switch (kind) {
    case 'benign':
      return { ...base, to: w.stranger.address, value: 1n, data: '0x' }
    case 'removal':
      return { ...base, to: w.safe, data: setGuardCalldata(zeroAddress) }
    case 'batchRemoval':
      return {
        ...base,
        to: lab.contracts.multiSendCallOnly,
        operation: 1,
        data: encodeFunctionData({
          abi: [{ type: 'function', name: 'multiSend', inputs: [{ type: 'bytes' }], outputs: [] }],
          functionName: 'multiSend',
          args: [
            packMultiSend([{ operation: 0, to: w.safe, value: 0n, data: setGuardCalldata(zeroAddress) }]),
          ],
        }),
      }
    case 'settings':
      return { ...base, to: w.guard, data: guardCalldata.configure(w.settings) }
    case 'rejection':
      return { ...base, to: w.safe, data: '0x' }
  }
}

const hashOfTx = (w: GuardWorld, tx: SafeTx): Hash => safeTxHashes(w.version, lab.chainId, tx).safeTxHash

beforeAll(async () => {
  lab = await startLab()
  for (const version of VERSIONS) {
    const w = await guardedSafe(lab, version, {
      settings: (guardian) => ({ guardian, delay: DELAY, removalDelay: REMOVAL_DELAY, moduleAllowlist: [] }),
    })
    const startNonce = await lab.public.readContract({
      address: w.safe,
      abi: safeExecAbi,
      functionName: 'nonce',
    })
    const txs: SafeTx[] = []
    for (let n = 0n; n < BigInt(NONCES); n++)
      for (const kind of KINDS) txs.push(txOf(w, kind, startNonce + n))
    const items = txs.map((tx, i) => ({
      kind: KINDS[i % KINDS.length] as Kind,
      nonce: tx.nonce,
      hash: hashOfTx(w, tx),
    }))
    const signatures = await Promise.all(items.map((item) => signHash(item.hash, w.owners.slice(0, 2))))
    worlds.set(version, { ...w, items, txs, signatures, startNonce })
  }
  snapshot = (await lab.public.request({ method: 'evm_snapshot' as never })) as Hex
}, 120_000)
afterAll(() => lab?.stop())

let sent = 0n

/**
 * Sends a transaction mined at `time` and reads its receipt by polling with a deadline. viem's
 * waitForTransactionReceipt watches for block numbers above the highest it has seen, and every run starts by
 * reverting to a snapshot, which takes the block numbers back: it would wait for blocks it already counted.
 * The gas limit differs for every transaction, so that no run re-sends a transaction a reverted run sent.
 */
async function sendAt(time: bigint, from: LabAccount, to: Address, data: Hex): Promise<boolean> {
  await lab.test.setNextBlockTimestamp({ timestamp: time })
  sent += 1n
  const hash = await lab.wallet.sendTransaction({
    account: from.address,
    chain: null,
    to,
    data,
    gas: 2_000_000n + sent,
  })
  const deadline = Date.now() + 20_000
  for (;;) {
    const receipt = await lab.public.getTransactionReceipt({ hash }).catch(() => undefined)
    if (receipt) return receipt.status === 'success'
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within 20 s`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const execData = (tx: SafeTx, signatures: Hex): Hex =>
  encodeFunctionData({
    abi: safeExecAbi,
    functionName: 'execTransaction',
    args: [
      tx.to,
      tx.value,
      tx.data,
      tx.operation,
      tx.safeTxGas,
      tx.baseGas,
      tx.gasPrice,
      tx.gasToken,
      tx.refundReceiver,
      signatures,
    ],
  })
const scheduleData = (tx: SafeTx, signatures: Hex): Hex => {
  const { safe, ...fields } = tx
  return guardCalldata.schedule(safe, fields, signatures)
}

/** Performs a step on the chain as the model's step says; returns whether its transaction succeeded. */
async function perform(w: World, m: ModelState, step: Step): Promise<boolean> {
  if (step.action === 'wait') return true
  if (step.action === 'strangerConfigure') {
    const data = guardCalldata.configure({
      ...w.settings,
      guardian: w.stranger.address,
      delay: 0,
      removalDelay: 0,
    })
    return sendAt(m.time, w.stranger, w.guard, data)
  }
  const tx = w.txs[step.item] as SafeTx
  const item = w.items[step.item] as Item
  const signatures = w.signatures[step.item] as Hex
  switch (step.action) {
    case 'execute':
      return sendAt(m.time, w.stranger, w.safe, execData(tx, signatures))
    case 'schedule':
      return sendAt(m.time, w.stranger, w.guard, scheduleData(tx, signatures))
    default: {
      const from = step.by === 'guardian' ? w.guardian : w.stranger
      return sendAt(m.time, from, w.guard, guardCalldata[step.action](w.safe, item.hash))
    }
  }
}

/** The chain agrees with the model: nonce, settings, guard slot and every item's record. */
async function expectChainMatches(w: World, m: ModelState, context: string): Promise<void> {
  const [nonce, settings, slot, statuses] = await Promise.all([
    lab.public.readContract({ address: w.safe, abi: safeExecAbi, functionName: 'nonce' }),
    lab.public.readContract({
      address: w.guard,
      abi: custosGuardAbi,
      functionName: 'settings',
      args: [w.safe],
    }),
    readSlot(w, GUARD_STORAGE_SLOT),
    Promise.all(
      w.items.map((item) =>
        lab.public.readContract({
          address: w.guard,
          abi: custosGuardAbi,
          functionName: 'status',
          args: [w.safe, item.hash],
        }),
      ),
    ),
  ])
  expect(nonce, context).toBe(m.nonce)
  // Only the Safe changes its settings: a stranger's configure never shows here.
  expect([settings[0], settings[1], settings[2], settings[3]], context).toEqual([
    w.guardian.address,
    DELAY,
    REMOVAL_DELAY,
    m.epoch,
  ])
  expect(BigInt(slot) === BigInt(w.guard), context).toBe(m.guardActive)
  w.items.forEach((item, i) => {
    const r = recordOf(m, item)
    const st = statuses[i]
    expect(
      {
        scheduledAt: st?.scheduled ? st.scheduledAt : undefined,
        cancelled: st?.cancelled,
        guardChange: st?.guardChange,
        approved: st?.approved,
      },
      `${context}: item ${i} (${item.kind} at nonce ${item.nonce})`,
    ).toEqual({
      scheduledAt: r.scheduledAt,
      cancelled: r.cancelled,
      guardChange: r.guardChange,
      approved: r.approvedEpoch === m.epoch && !r.cancelled && !r.guardChange,
    })
  })
}

/** A step as generated: transactions are named by kind and by how far past the Safe's nonce they are, so that
 *  the runs keep hitting the transactions that can matter now. */
type Planned =
  | { action: 'execute' | 'schedule'; kind: Kind; offset: number }
  | { action: 'approve' | 'revoke' | 'cancel'; kind: Kind; offset: number; by: 'guardian' | 'stranger' }
  | { action: 'strangerConfigure' }
  | { action: 'wait'; seconds: number }
  /** The guardian cancels what was scheduled last (what custos does when it judges it malicious). */
  | { action: 'cancelLatest' }

const target = fc.record({
  kind: fc.constantFrom(...KINDS),
  offset: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.constant(1) },
    fc.constant(2),
  ),
})

const stepArb = (silent: boolean): fc.Arbitrary<Planned> => {
  const owners: fc.WeightedArbitrary<Planned>[] = [
    { weight: 6, arbitrary: target.map((t) => ({ action: 'execute' as const, ...t })) },
    { weight: 4, arbitrary: target.map((t) => ({ action: 'schedule' as const, ...t })) },
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(1, 50, DELAY - 1, DELAY, 500, REMOVAL_DELAY - 1, REMOVAL_DELAY, 3 * REMOVAL_DELAY)
        .map((seconds) => ({ action: 'wait' as const, seconds })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('approve' as const, 'revoke' as const, 'cancel' as const), target)
        .map(([action, t]) => ({ action, ...t, by: 'stranger' as const })),
    },
    { weight: 1, arbitrary: fc.constant({ action: 'strangerConfigure' as const }) },
  ]
  const guardian: fc.WeightedArbitrary<Planned>[] = [
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          fc.constantFrom('approve' as const, 'approve' as const, 'revoke' as const, 'cancel' as const),
          target,
        )
        .map(([action, t]) => ({ action, ...t, by: 'guardian' as const })),
    },
    { weight: 3, arbitrary: fc.constant({ action: 'cancelLatest' as const }) },
  ]
  return fc.oneof(...owners, ...(silent ? [] : guardian))
}

/** The pool item a planned step names, at the Safe's nonce now (the last pooled nonce when past the pool). */
function resolve(w: World, m: ModelState, planned: Planned): Step {
  if (planned.action === 'wait' || planned.action === 'strangerConfigure') return planned
  if (planned.action === 'cancelLatest') {
    let latest = 0
    let at = -1n
    w.items.forEach((item, i) => {
      const { scheduledAt, cancelled, guardChange } = recordOf(m, item)
      if (scheduledAt !== undefined && !cancelled && !guardChange && scheduledAt > at) {
        latest = i
        at = scheduledAt
      }
    })
    return { action: 'cancel', item: latest, by: 'guardian' }
  }
  const last = BigInt(NONCES - 1)
  const offset = m.nonce - w.startNonce + BigInt(planned.offset)
  const n = Number(offset > last ? last : offset)
  const item = n * KINDS.length + KINDS.indexOf(planned.kind)
  if ('by' in planned) return { action: planned.action, item, by: planned.by }
  return { action: planned.action, item }
}

const runArb = fc
  .record({ version: fc.constantFrom(...VERSIONS), silent: fc.boolean() })
  .chain(({ version, silent }) =>
    fc.record({
      version: fc.constant(version),
      silent: fc.constant(silent),
      steps: fc.array(stepArb(silent), { minLength: 4, maxLength: 24, size: 'max' }),
    }),
  )

async function runSequence(version: LabSafeVersion, silent: boolean, plan: Planned[]): Promise<void> {
  await lab.public.request({ method: 'evm_revert' as never, params: [snapshot] as never })
  snapshot = (await lab.public.request({ method: 'evm_snapshot' as never })) as Hex
  const w = worlds.get(version) as World
  const block = await lab.public.getBlock()
  const m: ModelState = {
    time: block.timestamp,
    nonce: w.startNonce,
    epoch: 1,
    delay: BigInt(DELAY),
    removalDelay: BigInt(REMOVAL_DELAY),
    guardActive: true,
    records: new Map(),
  }
  const everCancelled = new Set<string>()
  for (const [index, planned] of plan.entries()) {
    const step = resolve(w, m, planned)
    const context = `${version}${silent ? ' (silent guardian)' : ''} step ${index} ${JSON.stringify(step)}`
    const item = 'item' in step ? (w.items[step.item] as Item) : undefined
    const before = item ? { ...recordOf(m, item) } : undefined
    const guardWasActive = m.guardActive
    const nonceBefore = m.nonce
    const expected = apply(m, w.items, step)
    const happened = await perform(w, m, step)
    expect(happened, context).toBe(expected)
    const label = `${step.action}${'by' in step ? `:${step.by}` : ''}${item ? `:${item.kind}` : ''}:${happened ? 'ok' : 'refused'}`
    tally[label] = (tally[label] ?? 0) + 1
    if (step.action === 'cancel' && happened && item) everCancelled.add(item.hash)
    if (step.action === 'execute' && item && before && guardWasActive && item.nonce === nonceBefore) {
      const at = before.scheduledAt
      const waited = (d: number) => at !== undefined && m.time >= at + BigInt(d)
      if (happened) {
        // Nothing executes early unless approved (in this configuration) or a rejection; never a cancelled hash.
        const approved = before.approvedEpoch === (item.kind === 'settings' ? m.epoch - 1 : m.epoch)
        expect(item.kind === 'rejection' || approved || waited(DELAY), context).toBe(true)
        expect(everCancelled.has(item.hash), context).toBe(false)
        if (item.kind !== 'benign' && item.kind !== 'rejection')
          expect(waited(REMOVAL_DELAY), context).toBe(true)
      }
      // With a silent guardian, what the owners scheduled runs once its delay has gone by.
      if (silent && !before.cancelled) {
        const changesGuard = item.kind !== 'benign' && item.kind !== 'rejection'
        if (item.kind === 'rejection' || waited(changesGuard ? REMOVAL_DELAY : DELAY))
          expect(happened, context).toBe(true)
      }
    }
    await expectChainMatches(w, m, context)
  }
  await expectOwnersCanLeave(w, m, `${version} after ${plan.length} steps`)
}

/** Whatever happened, the owners schedule setGuard(0) at the current nonce and it runs after removalDelay. */
async function expectOwnersCanLeave(w: World, m: ModelState, context: string): Promise<void> {
  if (!m.guardActive) return
  const removal = txOf(w, 'removal', m.nonce)
  const hash = hashOfTx(w, removal)
  const signatures = await signHash(hash, w.owners.slice(1, 3))
  const removalItem: Item = { kind: 'removal', nonce: m.nonce, hash }
  const already = recordOf(m, removalItem).scheduledAt !== undefined
  m.time += 1n
  expect(await sendAt(m.time, w.stranger, w.guard, scheduleData(removal, signatures)), context).toBe(!already)
  if (!already) apply(m, [removalItem], { action: 'schedule', item: 0 })
  // The guardian cannot cancel it, and approving it changes nothing.
  m.time += 1n
  expect(await sendAt(m.time, w.guardian, w.guard, guardCalldata.cancel(w.safe, hash)), context).toBe(false)
  m.time += 1n
  await sendAt(m.time, w.guardian, w.guard, guardCalldata.approve(w.safe, hash))
  const { pass } = admits(m, removalItem)
  if (!pass) {
    m.time += 1n
    expect(await sendAt(m.time, w.stranger, w.safe, execData(removal, signatures)), context).toBe(false)
  }
  m.time += BigInt(REMOVAL_DELAY) + 1n
  expect(await sendAt(m.time, w.stranger, w.safe, execData(removal, signatures)), context).toBe(true)
  expect(BigInt(await readSlot(w, GUARD_STORAGE_SLOT)), context).toBe(0n)
}

it('random owner, guardian, stranger and time steps keep the guard and its reference model in step', async () => {
  await fc.assert(
    fc.asyncProperty(runArb, async ({ version, silent, steps }) => runSequence(version, silent, steps)),
    {
      seed: SEED,
      numRuns: RUNS,
      endOnFailure: true,
      ...(process.env.GUARD_PROPERTY_PATH ? { path: process.env.GUARD_PROPERTY_PATH } : {}),
    },
  )
  // The runs reached every rule: each kind executed, and the guardian's steps took effect.
  const reached = Object.keys(tally)
  for (const outcome of [
    'execute:benign:ok',
    'execute:removal:ok',
    'execute:batchRemoval:ok',
    'execute:settings:ok',
    'execute:rejection:ok',
    'execute:benign:refused',
    'execute:removal:refused',
    'approve:guardian:benign:ok',
    'cancel:guardian:benign:ok',
    'revoke:guardian:benign:ok',
    'schedule:removal:ok',
    'strangerConfigure:ok',
  ])
    expect(reached, outcome).toContain(outcome)
}, 600_000)
