import { type Address, encodeFunctionData, type Hex, parseEther, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SLOT0_WRITER } from '../../../src/lab/contracts.js'
import { deployGuardAttack } from '../../../src/lab/guard.js'
import { guardAttacks } from '../../../src/lab/guard-attacks.js'
import { type Lab, startLab } from '../../../src/lab/index.js'
import { packMultiSend } from '../../../src/model/multisend.js'
import {
  custosGuardAbi,
  GUARD_STORAGE_SLOT,
  guardCalldata,
  MODULE_GUARD_STORAGE_SLOT,
  setGuardCalldata,
  setModuleGuardCalldata,
} from '../../../src/respond/guard/contract.js'
import {
  advance,
  DAY,
  execute,
  type GuardWorld,
  guardedSafe,
  guardianDoes,
  HOUR,
  hashOf,
  readSlot,
  readStatus,
  schedule,
  send,
  signTx,
} from '../../helpers/guard.js'

// Never a brick, and never a way around: the owners can always change or remove the guard after removalDelay,
// whatever the guardian does, and nothing else (an approval, a batch, code run by a transaction calling the
// guard's hooks itself) changes the guard or its settings any sooner.

let lab: Lab
beforeAll(async () => {
  lab = await startLab()
})
afterAll(() => lab?.stop())

const REMOVAL = 7 * DAY
const guardSlot = async (w: GuardWorld): Promise<Address> =>
  `0x${(await readSlot(w, GUARD_STORAGE_SLOT)).slice(-40)}` as Address
const settingsOf = (w: GuardWorld) =>
  lab.public.readContract({ address: w.guard, abi: custosGuardAbi, functionName: 'settings', args: [w.safe] })
const multiSend = (calls: { to: Address; data: Hex }[]): Hex =>
  encodeFunctionData({
    abi: [
      {
        type: 'function',
        name: 'multiSend',
        inputs: [{ type: 'bytes' }],
        outputs: [],
        stateMutability: 'payable',
      },
    ],
    functionName: 'multiSend',
    args: [packMultiSend(calls.map((c) => ({ operation: 0, to: c.to, value: 0n, data: c.data })))],
  })
/** The Safe's own error for a failed inner call (1.3.0, 1.4.1), or the inner revert that 1.5.0 passes on. */
const innerFailure = (version: string, guardError: string) => (version === '1.5.0' ? guardError : 'GS013')

describe.each(['1.3.0', '1.4.1', '1.5.0'] as const)('Safe %s: changing or removing the guard', (version) => {
  it('the owners remove the guard after removalDelay, whatever a hostile guardian does', async () => {
    const w = await guardedSafe(lab, version)
    const removal = await signTx(w, { to: w.safe, data: setGuardCalldata(zeroAddress) })
    const hash = await hashOf(w, removal)
    // The guardian approves it: an approval never lets a guard change through early.
    await guardianDoes(w, 'approve', hash)
    expect(await execute(w, removal)).toEqual({ ok: false, error: 'GuardChangeNotCleared' })
    expect((await schedule(w, removal)).ok).toBe(true)
    expect(await readStatus(w, hash)).toMatchObject({ scheduled: true, guardChange: true })
    expect(await guardianDoes(w, 'cancel', hash)).toEqual({ ok: false, error: 'Uncancellable' })
    await advance(lab, HOUR)
    expect(await execute(w, removal)).toEqual({ ok: false, error: 'NotAllowed' })
    await advance(lab, REMOVAL - HOUR)
    expect((await execute(w, removal)).ok).toBe(true)
    expect(await guardSlot(w)).toBe(zeroAddress)
    // Unguarded again: a transaction nobody approved runs.
    expect((await execute(w, await signTx(w, { to: w.stranger.address, value: 1n }))).ok).toBe(true)
  })

  it('a removal batched through MultiSend can be cancelled and, left alone, still waits removalDelay', async () => {
    const w = await guardedSafe(lab, version)
    const batch = await signTx(w, {
      to: lab.contracts.multiSendCallOnly,
      data: multiSend([{ to: w.safe, data: setGuardCalldata(zeroAddress) }]),
      operation: 1,
    })
    const hash = await hashOf(w, batch)
    await schedule(w, batch)
    expect(await readStatus(w, hash)).toMatchObject({ scheduled: true, guardChange: false })
    await advance(lab, HOUR)
    expect(await execute(w, batch)).toEqual({ ok: false, error: 'GuardChangeNotCleared' })
    await advance(lab, REMOVAL)
    expect((await execute(w, batch)).ok).toBe(true)
    expect(await guardSlot(w)).toBe(zeroAddress)
    // The same batch cancelled in time never runs.
    const w2 = await guardedSafe(lab, version)
    const batch2 = await signTx(w2, {
      to: batch.data.to as Address,
      data: batch.data.data as Hex,
      operation: 1,
    })
    await schedule(w2, batch2)
    expect((await guardianDoes(w2, 'cancel', await hashOf(w2, batch2))).ok).toBe(true)
    await advance(lab, REMOVAL)
    expect(await execute(w2, batch2)).toEqual({ ok: false, error: 'CancelledTx' })
  })

  it('a settings change is uncancellable and takes effect after removalDelay; it voids older approvals', async () => {
    const w = await guardedSafe(lab, version)
    const pending = await signTx(w, { to: w.stranger.address, value: 1n, nonce: 2n })
    await guardianDoes(w, 'approve', await hashOf(w, pending))
    const newGuardian = w.owners[2]?.address as Address
    const change = await signTx(w, {
      to: w.guard,
      data: guardCalldata.configure({
        guardian: newGuardian,
        delay: 2 * HOUR,
        removalDelay: 3 * DAY,
        moduleAllowlist: [],
      }),
    })
    const hash = await hashOf(w, change)
    // Approved only, it runs but the guard refuses the change inside it.
    await guardianDoes(w, 'approve', hash)
    expect(await execute(w, change)).toEqual({
      ok: false,
      error: innerFailure(version, 'ReconfigureNotCleared'),
    })
    await schedule(w, change)
    expect(await guardianDoes(w, 'cancel', hash)).toEqual({ ok: false, error: 'Uncancellable' })
    await advance(lab, REMOVAL)
    expect((await execute(w, change)).ok).toBe(true)
    const [guardian, delay, removalDelay, epoch] = await settingsOf(w)
    expect({ guardian, delay, removalDelay, epoch }).toEqual({
      guardian: newGuardian,
      delay: 2 * HOUR,
      removalDelay: 3 * DAY,
      epoch: 2,
    })
    // The old guardian's approval of the next transaction died with its configuration.
    expect(await execute(w, pending)).toEqual({ ok: false, error: 'NotAllowed' })
  })

  it('refuses settings out of bounds and the guard run through DELEGATECALL', async () => {
    const w = await guardedSafe(lab, version, { enable: false })
    const configure = (delay: number, removalDelay: number, guardian: Address = w.guardian.address) =>
      guardCalldata.configure({ guardian, delay, removalDelay, moduleAllowlist: [] })
    for (const data of [
      configure(2 * DAY, DAY),
      configure(HOUR, 31 * DAY),
      configure(HOUR, DAY, zeroAddress),
    ]) {
      const tx = await signTx(w, { to: w.guard, data })
      expect(await execute(w, tx)).toEqual({ ok: false, error: innerFailure(version, 'InvalidSettings') })
    }
    const viaDelegatecall = await signTx(w, { to: w.guard, data: configure(HOUR, DAY), operation: 1 })
    expect(await execute(w, viaDelegatecall)).toEqual({
      ok: false,
      error: innerFailure(version, 'DelegateCallForbidden'),
    })
  })

  it('code run by a transaction cannot pop its own frame early and then clear the guard', async () => {
    const w = await guardedSafe(lab, version)
    const attack = await deployGuardAttack(lab, 'PopOwnFrameThenUnguard')
    const data = encodeFunctionData({
      abi: guardAttacks.contracts.PopOwnFrameThenUnguard.abi,
      functionName: 'run',
      args: [w.guard, attack],
    })
    const tx = await signTx(w, { to: attack, data, operation: 1 })
    await guardianDoes(w, 'approve', await hashOf(w, tx))
    expect(await execute(w, tx)).toEqual({ ok: false, error: 'HookMismatch' })
    expect((await guardSlot(w)).toLowerCase()).toBe(w.guard.toLowerCase())
  })

  it('nor borrow the clearance of another transaction at the same nonce', async () => {
    const w = await guardedSafe(lab, version)
    const attack = await deployGuardAttack(lab, 'BorrowClearance')
    // A harmless settings change the owners scheduled long ago, at the nonce the attack will run at.
    const cleared = await signTx(w, {
      to: w.guard,
      data: guardCalldata.configure({ ...w.settings, delay: 2 * HOUR }),
    })
    await schedule(w, cleared)
    await advance(lab, REMOVAL)
    for (const configure of [
      guardCalldata.configure({ ...w.settings, guardian: w.stranger.address, delay: 0, removalDelay: 0 }),
      '0x' as Hex,
    ]) {
      const data = encodeFunctionData({
        abi: guardAttacks.contracts.BorrowClearance.abi,
        functionName: 'run',
        args: [w.guard, w.guard, cleared.data.data as Hex, configure],
      })
      const tx = await signTx(w, { to: attack, data, operation: 1 })
      await guardianDoes(w, 'approve', await hashOf(w, tx))
      const expected =
        configure === '0x' ? 'GuardChangeNotCleared' : innerFailure(version, 'ReconfigureNotCleared')
      expect(await execute(w, tx)).toEqual({ ok: false, error: expected })
    }
    const [guardian] = await settingsOf(w)
    expect(guardian).toBe(w.guardian.address)
  })

  it('a guard slot cleared by DELEGATECALL code needs removalDelay too', async () => {
    const w = await guardedSafe(lab, version)
    const attack = await deployGuardAttack(lab, 'ClearGuardSlot')
    const data = encodeFunctionData({ abi: guardAttacks.contracts.ClearGuardSlot.abi, functionName: 'run' })
    const tx = await signTx(w, { to: attack, data, operation: 1 })
    await guardianDoes(w, 'approve', await hashOf(w, tx))
    expect(await execute(w, tx)).toEqual({ ok: false, error: 'GuardChangeNotCleared' })
  })
})

describe('Safe 1.5.0: the module guard', () => {
  it('a transaction removes the module guard only after removalDelay, directly or batched, approved or not', async () => {
    const w = await guardedSafe(lab, '1.5.0')
    const moduleGuard = async () => `0x${(await readSlot(w, MODULE_GUARD_STORAGE_SLOT)).slice(-40)}`
    const remove = setModuleGuardCalldata(zeroAddress)
    const direct = await signTx(w, { to: w.safe, data: remove })
    const batch = await signTx(w, {
      to: lab.contracts.multiSendCallOnly,
      data: multiSend([{ to: w.safe, data: remove }]),
      operation: 1,
    })
    // Approved, each runs, and the guard reverts it for what it did to the module guard slot.
    for (const tx of [direct, batch]) {
      await guardianDoes(w, 'approve', await hashOf(w, tx))
      expect(await execute(w, tx)).toEqual({ ok: false, error: 'GuardChangeNotCleared' })
    }
    expect((await moduleGuard()).toLowerCase()).toBe(w.guard.toLowerCase())
    expect((await schedule(w, direct)).ok).toBe(true)
    await advance(lab, REMOVAL)
    expect((await execute(w, direct)).ok).toBe(true)
    expect(await moduleGuard()).toBe(zeroAddress)
  })
})

describe.each(['1.4.1', '1.5.0'] as const)('Safe %s: the incidents the guard exists for', (version) => {
  it('a fully signed Bybit-style DELEGATECALL cannot execute; scheduled, the guardian cancels it for good', async () => {
    const w = await guardedSafe(lab, version)
    const implant = '0x96221423681a6d52e184d440a8efcebb105c7243' as Address
    await lab.test.setCode({ address: implant, bytecode: SLOT0_WRITER })
    const data = encodeFunctionData({
      abi: [
        {
          type: 'function',
          name: 'transfer',
          inputs: [{ type: 'address' }, { type: 'uint256' }],
          outputs: [],
        },
      ],
      functionName: 'transfer',
      args: [w.stranger.address, 0n],
    })
    // Every owner signed (deceived); the attacker holds the signatures and executes at once.
    const tx = await signTx(w, { to: implant, data, operation: 1 }, w.owners)
    expect(await execute(w, tx, w.stranger)).toEqual({ ok: false, error: 'NotAllowed' })
    expect((await schedule(w, tx, w.stranger)).ok).toBe(true)
    const hash = await hashOf(w, tx)
    expect((await guardianDoes(w, 'cancel', hash)).ok).toBe(true)
    await advance(lab, 30 * DAY)
    expect(await execute(w, tx, w.stranger)).toEqual({ ok: false, error: 'CancelledTx' })
    // A benign transaction is approved and runs at once.
    const pay = await signTx(w, { to: w.owners[2]?.address as Address, value: parseEther('1') })
    await guardianDoes(w, 'approve', await hashOf(w, pay))
    expect((await execute(w, pay)).ok).toBe(true)
  })

  it('with custos stopped, a benign transaction runs after the delay', async () => {
    const w = await guardedSafe(lab, version)
    const pay = await signTx(w, { to: w.stranger.address, value: parseEther('1') })
    await schedule(w, pay, w.owners[0])
    await advance(lab, HOUR)
    expect((await execute(w, pay)).ok).toBe(true)
  })
})

describe('the contract itself', () => {
  it('declares the guard interfaces of every Safe version and accepts hooks it does not know', async () => {
    const w = await guardedSafe(lab, '1.4.1', { enable: false })
    const supports = (id: Hex) =>
      lab.public.readContract({
        address: w.guard,
        abi: custosGuardAbi,
        functionName: 'supportsInterface',
        args: [id],
      })
    expect(await supports('0xe6d7a83a')).toBe(true)
    expect(await supports('0x58401ed8')).toBe(true)
    expect(await supports('0x01ffc9a7')).toBe(true)
    expect(await supports('0xffffffff')).toBe(false)
    // A future hook, say checkTransactionV2(bytes32): accepted, so it cannot lock a Safe by itself.
    expect((await send(lab, w.stranger, w.guard, '0x12345678aabbccdd')).ok).toBe(true)
    // The fallback takes no ETH.
    expect((await send(lab, w.stranger, w.guard, '0x12345678', 1n)).ok).toBe(false)
  })
})
