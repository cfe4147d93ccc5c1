import { type Address, encodeFunctionData, type Hex, parseEther, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, type LabAccount, startLab } from '../../../src/lab/index.js'
import { custosGuardAbi, guardCalldata, setGuardCalldata } from '../../../src/respond/guard/contract.js'
import {
  DEFAULT_SETTINGS,
  execute,
  type GuardWorld,
  guardedSafe,
  guardianDoes,
  hashOf,
  safeExecAbi,
  send,
  signTx,
} from '../../helpers/guard.js'

// The module guard of Safe 1.5.0: a module transaction passes if its module is on the Safe's allowlist, or once
// for a call the guardian approved; none can change the guard or its settings.

let lab: Lab
let allowed: LabAccount
let other: LabAccount
beforeAll(async () => {
  lab = await startLab()
  allowed = lab.accounts[6] as LabAccount
  other = lab.accounts[7] as LabAccount
})
afterAll(() => lab?.stop())

async function withModules(): Promise<GuardWorld> {
  const w = await guardedSafe(lab, '1.5.0', {
    settings: (guardian) => ({ ...DEFAULT_SETTINGS(guardian), moduleAllowlist: [allowed.address] }),
  })
  for (const module of [allowed, other]) {
    const tx = await signTx(w, {
      to: w.safe,
      data: encodeFunctionData({ abi: safeExecAbi, functionName: 'enableModule', args: [module.address] }),
    })
    await guardianDoes(w, 'approve', await hashOf(w, tx))
    const enabled = await execute(w, tx)
    if (!enabled.ok) throw new Error(enabled.error)
  }
  return w
}

const fromModule = (
  w: GuardWorld,
  module: LabAccount,
  to: Address,
  value: bigint,
  data: Hex = '0x',
  op = 0,
) =>
  send(
    lab,
    module,
    w.safe,
    encodeFunctionData({
      abi: safeExecAbi,
      functionName: 'execTransactionFromModule',
      args: [to, value, data, op],
    }),
  )

const callHash = (w: GuardWorld, module: Address, to: Address, value: bigint, data: Hex = '0x', op = 0) =>
  lab.public.readContract({
    address: w.guard,
    abi: custosGuardAbi,
    functionName: 'moduleCallHash',
    args: [w.safe, module, to, value, data, op],
  })

describe('Safe 1.5.0 module guard', () => {
  it('lets an allowlisted module through and stops any other', async () => {
    const w = await withModules()
    const to = w.stranger.address
    const before = await lab.public.getBalance({ address: to })
    expect((await fromModule(w, allowed, to, parseEther('1'))).ok).toBe(true)
    expect((await lab.public.getBalance({ address: to })) - before).toBe(parseEther('1'))
    expect(await fromModule(w, other, to, parseEther('1'))).toEqual({ ok: false, error: 'ModuleNotAllowed' })
  })

  it('lets a call the guardian approved through exactly once, and only that exact call', async () => {
    const w = await withModules()
    const to = w.stranger.address
    const hash = await callHash(w, other.address, to, 5n)
    expect(await guardianDoes(w, 'approve', hash, w.stranger)).toEqual({ ok: false, error: 'NotGuardian' })
    await guardianDoes(w, 'approve', hash)
    expect(await fromModule(w, other, to, 6n)).toEqual({ ok: false, error: 'ModuleNotAllowed' })
    expect(await fromModule(w, allowed, to, 5n)).toMatchObject({ ok: true })
    expect((await fromModule(w, other, to, 5n)).ok).toBe(true)
    expect(await fromModule(w, other, to, 5n)).toEqual({ ok: false, error: 'ModuleNotAllowed' })
  })

  it('never lets a module change the guard or its settings, allowlisted or approved', async () => {
    const w = await withModules()
    expect(await fromModule(w, allowed, w.safe, 0n, setGuardCalldata(zeroAddress))).toEqual({
      ok: false,
      error: 'GuardChangeNotCleared',
    })
    const removeModuleGuard = encodeFunctionData({
      abi: [{ type: 'function', name: 'setModuleGuard', inputs: [{ type: 'address' }], outputs: [] }],
      functionName: 'setModuleGuard',
      args: [zeroAddress],
    })
    const approvedCall = await callHash(w, other.address, w.safe, 0n, removeModuleGuard)
    await guardianDoes(w, 'approve', approvedCall)
    expect(await fromModule(w, other, w.safe, 0n, removeModuleGuard)).toEqual({
      ok: false,
      error: 'GuardChangeNotCleared',
    })
    // A module's configure runs inside the module transaction and is refused there (the Safe reports failure).
    const configure = guardCalldata.configure({ ...w.settings, guardian: other.address })
    expect((await fromModule(w, allowed, w.guard, 0n, configure)).ok).toBe(true)
    const [guardian] = await lab.public.readContract({
      address: w.guard,
      abi: custosGuardAbi,
      functionName: 'settings',
      args: [w.safe],
    })
    expect(guardian).toBe(w.guardian.address)
  })
})
