import { type Address, type Hex, parseEther, parseEventLogs, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, type LabAccount, startLab } from '../../../src/lab/index.js'
import {
  CUSTOS_GUARD_ADDRESS,
  custosGuardAbi,
  GUARD_STORAGE_SLOT,
  MODULE_GUARD_STORAGE_SLOT,
} from '../../../src/respond/guard/contract.js'
import {
  advance,
  execute,
  fieldsOf,
  guardedSafe,
  guardianDoes,
  HOUR,
  hashOf,
  rawSignatures,
  readSlot,
  readStatus,
  safeNonce,
  schedule,
  send,
  signTx,
} from '../../helpers/guard.js'

// Every rule of the custos Guard on real Safe 1.3.0, 1.4.1 and 1.5.0 contracts, driven through protocol-kit as
// owners would: the guard is enabled by a signed Safe transaction, transactions are created and signed by the
// owners' keys, and executed by whoever holds the signatures.

let lab: Lab
beforeAll(async () => {
  lab = await startLab()
})
afterAll(() => lab?.stop())

const slotAddress = (word: Hex): Address => `0x${word.slice(-40)}` as Address

describe.each(['1.3.0', '1.4.1', '1.5.0'] as const)('Safe %s with the custos Guard', (version) => {
  it('is enabled by one signed MultiSendCallOnly transaction that sets the guard and its settings', async () => {
    const w = await guardedSafe(lab, version)
    const [guardian, delay, removalDelay, epoch, allowlist] = await lab.public.readContract({
      address: w.guard,
      abi: custosGuardAbi,
      functionName: 'settings',
      args: [w.safe],
    })
    expect({ guardian, delay, removalDelay, epoch, allowlist }).toEqual({
      guardian: w.guardian.address,
      delay: w.settings.delay,
      removalDelay: w.settings.removalDelay,
      epoch: 1,
      allowlist: [],
    })
    expect(w.guard).toBe(CUSTOS_GUARD_ADDRESS)
    expect(slotAddress(await readSlot(w, GUARD_STORAGE_SLOT)).toLowerCase()).toBe(w.guard.toLowerCase())
    // The module guard exists from 1.5.0 on; before, its slot is unused storage.
    const moduleGuard = slotAddress(await readSlot(w, MODULE_GUARD_STORAGE_SLOT)).toLowerCase()
    expect(moduleGuard).toBe(version === '1.5.0' ? w.guard.toLowerCase() : zeroAddress)
  })

  it('refuses a fully signed transaction the guardian did not approve, through protocol-kit too', async () => {
    const w = await guardedSafe(lab, version)
    const tx = await signTx(w, { to: w.stranger.address, value: parseEther('1') })
    expect(await execute(w, tx)).toEqual({ ok: false, error: 'NotAllowed' })
    const kit = await w.kit(w.owners[0] as LabAccount)
    await expect(kit.executeTransaction(tx)).rejects.toThrow()
    expect(await safeNonce(w)).toBe(1n)
  })

  it("lets it run at once once the guardian approved its safeTxHash, and only the guardian's approval counts", async () => {
    const w = await guardedSafe(lab, version)
    const tx = await signTx(w, { to: w.stranger.address, value: parseEther('1') })
    const hash = await hashOf(w, tx)
    expect(await guardianDoes(w, 'approve', hash, w.stranger)).toEqual({ ok: false, error: 'NotGuardian' })
    expect(await guardianDoes(w, 'approve', hash, w.owners[0])).toEqual({ ok: false, error: 'NotGuardian' })
    const approved = await guardianDoes(w, 'approve', hash)
    expect(approved.ok).toBe(true)
    expect((await readStatus(w, hash)).approved).toBe(true)
    // Executed with protocol-kit by an owner, as the Safe UI would.
    const before = await lab.public.getBalance({ address: w.stranger.address })
    const kit = await w.kit(w.owners[1] as LabAccount)
    const result = await kit.executeTransaction(tx)
    const receipt = await lab.public.waitForTransactionReceipt({ hash: result.hash as Hex })
    expect(receipt.status).toBe('success')
    expect((await lab.public.getBalance({ address: w.stranger.address })) - before).toBe(parseEther('1'))
    const events = parseEventLogs({ abi: custosGuardAbi, logs: receipt.logs, eventName: 'Executed' })
    expect(events.map((e) => e.args)).toEqual([{ safe: w.safe, safeTxHash: hash }])
    // Used up: the record is gone, and the nonce makes the transaction unrepeatable anyway.
    expect(await readStatus(w, hash)).toMatchObject({ approved: false, scheduled: false })
  })

  it('does not let an approval of one transaction carry another, or the same one at another nonce', async () => {
    const w = await guardedSafe(lab, version)
    const approvedTx = await signTx(w, { to: w.stranger.address, value: 1n })
    await guardianDoes(w, 'approve', await hashOf(w, approvedTx))
    const other = await signTx(w, { to: w.stranger.address, value: 2n })
    expect(await execute(w, other)).toEqual({ ok: false, error: 'NotAllowed' })
    const nextNonce = await signTx(w, { to: w.stranger.address, value: 1n, nonce: (await safeNonce(w)) + 1n })
    await guardianDoes(w, 'approve', await hashOf(w, nextNonce))
    expect(await execute(w, nextNonce)).toEqual({ ok: false, error: 'GS026' })
    expect((await execute(w, approvedTx)).ok).toBe(true)
    expect((await execute(w, nextNonce)).ok).toBe(true)
  })

  it('runs a scheduled transaction once delay has passed, not before', async () => {
    const w = await guardedSafe(lab, version)
    const tx = await signTx(w, { to: w.stranger.address, value: parseEther('2'), data: '0x1234' })
    const hash = await hashOf(w, tx)
    const scheduled = await schedule(w, tx, w.stranger)
    if (!scheduled.ok) throw new Error(scheduled.error)
    const [event] = parseEventLogs({
      abi: custosGuardAbi,
      logs: scheduled.receipt.logs,
      eventName: 'Scheduled',
    })
    const block = await lab.public.getBlock({ blockNumber: scheduled.receipt.blockNumber })
    expect(event?.args).toEqual({
      safe: w.safe,
      safeTxHash: hash,
      safeTx: fieldsOf(tx),
      executableAt: block.timestamp + BigInt(HOUR),
      guardChange: false,
    })
    expect(await execute(w, tx)).toEqual({ ok: false, error: 'NotAllowed' })
    await advance(lab, HOUR - 10)
    expect(await execute(w, tx)).toEqual({ ok: false, error: 'NotAllowed' })
    await advance(lab, 10)
    const ran = await execute(w, tx)
    expect(ran.ok).toBe(true)
    expect(await readStatus(w, hash)).toMatchObject({ scheduled: false })
  })

  it("checks the owners' signatures for exactly the scheduled transaction, through the Safe", async () => {
    const w = await guardedSafe(lab, version)
    const [a, b, c] = w.owners as [LabAccount, LabAccount, LabAccount]
    const to = w.stranger.address
    // Below the threshold.
    expect(await schedule(w, await signTx(w, { to, value: 1n }, [a]))).toEqual({ ok: false, error: 'GS020' })
    // Signatures of another transaction.
    const signed = await signTx(w, { to, value: 1n }, [a, b])
    const other = await signTx(w, { to, value: 2n }, [])
    expect(await schedule(w, other, w.stranger, signed.encodedSignatures() as Hex)).toEqual({
      ok: false,
      error: 'GS026',
    })
    // An owner and a stranger.
    const withStranger = await signTx(w, { to, value: 3n }, [])
    const strangerSigned = await rawSignatures(await hashOf(w, withStranger), [a, w.stranger])
    expect(await schedule(w, withStranger, w.stranger, strangerSigned)).toEqual({ ok: false, error: 'GS026' })
    // Every valid pair of owners schedules.
    expect((await schedule(w, await signTx(w, { to, value: 4n }, [b, c]))).ok).toBe(true)
    // Twice is refused: nobody restarts a pending clock.
    expect(await schedule(w, signed)).toMatchObject({ ok: true })
    expect(await schedule(w, signed)).toEqual({ ok: false, error: 'AlreadyScheduled' })
    // The rejection never needs a schedule; a past nonce is refused.
    const rejection = await signTx(w, { to: w.safe })
    expect(await schedule(w, rejection)).toEqual({ ok: false, error: 'RejectionNeedsNoSchedule' })
    const old = await signTx(w, { to, value: 5n, nonce: 0n })
    expect(await schedule(w, old)).toEqual({ ok: false, error: 'StaleNonce' })
  })

  it('never runs a cancelled transaction, never schedules it again, and only the guardian cancels', async () => {
    const w = await guardedSafe(lab, version)
    const tx = await signTx(w, { to: w.stranger.address, value: parseEther('1') })
    const hash = await hashOf(w, tx)
    expect(await guardianDoes(w, 'cancel', hash)).toEqual({ ok: false, error: 'NotScheduled' })
    await schedule(w, tx)
    expect(await guardianDoes(w, 'cancel', hash, w.owners[0])).toEqual({ ok: false, error: 'NotGuardian' })
    const cancelled = await guardianDoes(w, 'cancel', hash)
    if (!cancelled.ok) throw new Error(cancelled.error)
    expect(
      parseEventLogs({ abi: custosGuardAbi, logs: cancelled.receipt.logs, eventName: 'Cancelled' }),
    ).toHaveLength(1)
    expect(await guardianDoes(w, 'cancel', hash)).toEqual({ ok: false, error: 'CancelledTx' })
    expect(await guardianDoes(w, 'approve', hash)).toEqual({ ok: false, error: 'CancelledTx' })
    await advance(lab, 30 * 24 * HOUR)
    expect(await execute(w, tx)).toEqual({ ok: false, error: 'CancelledTx' })
    expect(await schedule(w, tx)).toEqual({ ok: false, error: 'CancelledTx' })
    expect(await readStatus(w, hash)).toMatchObject({ cancelled: true, approved: false })
    // The owners move on: the rejection burns the nonce.
    expect((await execute(w, await signTx(w, { to: w.safe }))).ok).toBe(true)
  })

  it('lets the canonical rejection run at once, and nothing that differs from it in any field', async () => {
    const w = await guardedSafe(lab, version)
    const base = await signTx(w, { to: w.safe })
    const near: Record<string, Partial<Record<keyof typeof base.data, string | number>>> = {
      value: { value: '1' },
      data: { data: '0x00' },
      operation: { operation: 1 },
      safeTxGas: { safeTxGas: '1' },
      baseGas: { baseGas: '1' },
      gasPrice: { gasPrice: '1' },
      gasToken: { gasToken: lab.token },
      refundReceiver: { refundReceiver: w.stranger.address },
      to: { to: w.stranger.address },
    }
    const [a, b] = w.owners as [LabAccount, LabAccount]
    for (const [field, change] of Object.entries(near)) {
      let tx = await (await w.kit(a)).createTransaction({
        transactions: [
          {
            to: (change.to as Address | undefined) ?? w.safe,
            value: String(change.value ?? '0'),
            data: (change.data as Hex | undefined) ?? '0x',
            operation: Number(change.operation ?? 0),
          },
        ],
        options: {
          safeTxGas: String(change.safeTxGas ?? '0'),
          baseGas: String(change.baseGas ?? '0'),
          gasPrice: String(change.gasPrice ?? '0'),
          gasToken: String(change.gasToken ?? zeroAddress),
          refundReceiver: String(change.refundReceiver ?? zeroAddress),
        },
      })
      tx = await (await w.kit(a)).signTransaction(tx)
      tx = await (await w.kit(b)).signTransaction(tx)
      expect({ field, outcome: await execute(w, tx) }).toEqual({
        field,
        outcome: { ok: false, error: 'NotAllowed' },
      })
    }
    const rejected = await execute(w, base)
    expect(rejected.ok).toBe(true)
    expect(await safeNonce(w)).toBe(2n)
  })

  it('keeps approvals to the configuration they were given in, and lets the guardian revoke them', async () => {
    const w = await guardedSafe(lab, version)
    const tx = await signTx(w, { to: w.stranger.address, value: 1n })
    const hash = await hashOf(w, tx)
    expect(await guardianDoes(w, 'revoke', hash)).toEqual({ ok: false, error: 'NotApproved' })
    await guardianDoes(w, 'approve', hash)
    expect((await guardianDoes(w, 'revoke', hash)).ok).toBe(true)
    expect(await execute(w, tx)).toEqual({ ok: false, error: 'NotAllowed' })
  })

  it('leaves a Safe that set the guard but never configured it exactly as it was', async () => {
    const w = await guardedSafe(lab, version, { enable: false })
    const setGuard = await signTx(w, {
      to: w.safe,
      data: `0xe19a9dd9${w.guard.slice(2).toLowerCase().padStart(64, '0')}`,
    })
    expect((await execute(w, setGuard)).ok).toBe(true)
    expect(slotAddress(await readSlot(w, GUARD_STORAGE_SLOT)).toLowerCase()).toBe(w.guard.toLowerCase())
    const tx = await signTx(w, { to: w.stranger.address, value: 1n })
    const ran = await execute(w, tx)
    if (!ran.ok) throw new Error(ran.error)
    expect(parseEventLogs({ abi: custosGuardAbi, logs: ran.receipt.logs })).toEqual([])
    expect(await guardianDoes(w, 'approve', await hashOf(w, tx))).toEqual({
      ok: false,
      error: 'NotConfigured',
    })
  })

  it("writes a caller's own settings only: a stranger's configure never touches the Safe's", async () => {
    const w = await guardedSafe(lab, version)
    const data = (await import('../../../src/respond/guard/contract.js')).guardCalldata.configure({
      guardian: w.stranger.address,
      delay: 0,
      removalDelay: 0,
      moduleAllowlist: [],
    })
    expect((await send(lab, w.stranger, w.guard, data)).ok).toBe(true)
    const [guardian, , , epoch] = await lab.public.readContract({
      address: w.guard,
      abi: custosGuardAbi,
      functionName: 'settings',
      args: [w.safe],
    })
    expect({ guardian, epoch }).toEqual({ guardian: w.guardian.address, epoch: 1 })
  })
})
