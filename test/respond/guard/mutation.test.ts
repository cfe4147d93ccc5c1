import { type Address, encodeFunctionData, type Hex, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployGuard, deployGuardAttack } from '../../../src/lab/guard.js'
import { guardAttacks } from '../../../src/lab/guard-attacks.js'
import { type Lab, type LabAccount, startLab } from '../../../src/lab/index.js'
import type { LabSafeVersion } from '../../../src/lab/safe-versions.js'
import { packMultiSend } from '../../../src/model/multisend.js'
import { compileGuard, type GuardSources, readGuardSources } from '../../../src/respond/guard/compile.js'
import {
  custosGuardAbi,
  guardCalldata,
  setGuardCalldata,
  setModuleGuardCalldata,
} from '../../../src/respond/guard/contract.js'
import {
  advance,
  DAY,
  DEFAULT_SETTINGS,
  execute,
  type GuardWorld,
  guardedSafe,
  guardianDoes,
  HOUR,
  hashOf,
  safeExecAbi,
  schedule,
  send,
  signTx,
} from '../../helpers/guard.js'

// The mutation check: the guard broken in seventeen meaningful ways, each compiled and deployed on the lab, and a
// fast set of probes (the rules of the lab tests, condensed) run against it; every mutant must fail a probe, and
// the real guard must pass them all. Compiling takes minutes of solc time: it runs in CI (.ci/run sets CI=1) or
// with CUSTOS_CHECKS=1.
const checks = process.env.CI === '1' || process.env.CUSTOS_CHECKS === '1'

type Mutant = { name: string; file: keyof GuardSources; from: string; to: string }

const MUTANTS: Mutant[] = [
  {
    name: 'a cancelled transaction still passes',
    file: 'CustosGuardRules.sol',
    from: 'if (cancelled) return (false, false);',
    to: '',
  },
  {
    name: 'approvals outlive a new configuration',
    file: 'CustosGuardRules.sol',
    from: 'approvedEpoch == epoch;',
    to: 'approvedEpoch != 0;',
  },
  {
    name: 'the guardian can cancel a guard change',
    file: 'CustosGuardRules.sol',
    from: 'return scheduledAt != 0 && !guardChange && !cancelled;',
    to: 'return scheduledAt != 0 && !cancelled;',
  },
  {
    name: 'a transaction is cleared to touch the guard after delay instead of removalDelay',
    file: 'CustosGuardRules.sol',
    from: 'cleared = scheduled && time >= uint256(scheduledAt) + removalDelay;',
    to: 'cleared = scheduled && time >= uint256(scheduledAt) + delay;',
  },
  {
    name: 'a rejection may carry a gas refund',
    file: 'CustosGuardRules.sol',
    from: 'operation == 0 && noGas;',
    to: 'operation == 0;',
  },
  {
    name: 'a rejection may go to any address',
    file: 'CustosGuardRules.sol',
    from: 'return to == safe && value == 0',
    to: 'return value == 0',
  },
  {
    name: 'the hash is taken at the incremented nonce',
    file: 'CustosGuard.sol',
    from: '_safeNonce(msg.sender) - 1;',
    to: '_safeNonce(msg.sender);',
  },
  {
    name: 'a call to the Safe itself is not watched for guard changes',
    file: 'CustosGuard.sol',
    from: 'else if (operation == uint256(Operation.DelegateCall) || to == msg.sender)',
    to: 'else if (operation == uint256(Operation.DelegateCall))',
  },
  {
    name: 'guard slots are not read back after the transaction',
    file: 'CustosGuard.sol',
    from: ') revert GuardChangeNotCleared(safe);',
    to: ') {}',
  },
  {
    name: 'a transaction may change the module guard',
    file: 'CustosGuard.sol',
    from: '|| !CustosGuardRules.slotKept(moduleGuardBefore, _readSlot(safe, MODULE_GUARD_SLOT), self)',
    to: '',
  },
  {
    name: 'the frame below loses its flags while a frame above it runs',
    file: 'CustosGuard.sol',
    from: 'if (depth != 0) below = _tload(base + 4 * depth + 1);',
    to: '',
  },
  {
    name: 'a cleared frame counts as uncleared: the owners could never change the settings',
    file: 'CustosGuard.sol',
    from: 'if (flags & CLEARED == 0) uncleared += 1;',
    to: 'uncleared += 1;',
  },
  {
    name: 'an after-hook pops whatever frame is on top',
    file: 'CustosGuard.sol',
    from: 'if (flags & PASS == 0 && bytes32(_tload(frame)) != hash) revert HookMismatch(safe);',
    to: '',
  },
  {
    name: 'configure needs no clearance',
    file: 'CustosGuard.sol',
    from: ')) revert ReconfigureNotCleared(msg.sender);',
    to: ')) {}',
  },
  {
    name: 'anyone may act as the guardian',
    file: 'CustosGuard.sol',
    from: 'if (msg.sender != _settings[safe].guardian) revert NotGuardian(msg.sender);',
    to: '',
  },
  {
    name: 'schedule takes any signatures',
    file: 'CustosGuard.sol',
    from: 'ISafeView(safe).checkSignatures(safeTxHash, _preimage(safe, t), signatures);',
    to: '',
  },
  {
    name: 'a module call the guardian approved may run again',
    file: 'CustosGuard.sol',
    from: 'delete _records[msg.sender][moduleTxHash];',
    to: '',
  },
]

function mutate(sources: GuardSources, m: Mutant): GuardSources {
  const source = sources[m.file]
  const at = source.indexOf(m.from)
  if (at < 0 || source.indexOf(m.from, at + 1) >= 0)
    throw new Error(`mutant "${m.name}": pattern not found once`)
  return { ...sources, [m.file]: source.replace(m.from, m.to) }
}

type Probe = { name: string; version: LabSafeVersion; run(w: GuardWorld): Promise<void> }

const refused = async (outcome: Promise<{ ok: boolean }>) => expect((await outcome).ok).toBe(false)
const allowed = async (outcome: Promise<{ ok: boolean; error?: string }>) =>
  expect(await outcome).toMatchObject({ ok: true })

const PROBES: Probe[] = [
  {
    name: 'unapproved refused, approved runs, scheduled runs after delay only',
    version: '1.4.1',
    async run(w) {
      const tx = await signTx(w, { to: w.stranger.address, value: 1n })
      await refused(execute(w, tx))
      await allowed(guardianDoes(w, 'approve', await hashOf(w, tx)))
      await allowed(execute(w, tx))
      const later = await signTx(w, { to: w.stranger.address, value: 2n })
      await refused(
        schedule(
          w,
          later,
          w.stranger,
          (await signTx(w, { to: w.stranger.address, value: 3n })).encodedSignatures() as Hex,
        ),
      )
      await allowed(schedule(w, later))
      await refused(execute(w, later))
      await advance(w.lab, HOUR)
      await allowed(execute(w, later))
    },
  },
  {
    name: 'a cancelled transaction never runs nor comes back; only the guardian acts',
    version: '1.4.1',
    async run(w) {
      const tx = await signTx(w, { to: w.stranger.address, value: 1n })
      const hash = await hashOf(w, tx)
      await allowed(schedule(w, tx))
      await refused(guardianDoes(w, 'approve', hash, w.stranger))
      await refused(guardianDoes(w, 'cancel', hash, w.stranger))
      await allowed(guardianDoes(w, 'cancel', hash))
      await refused(schedule(w, tx))
      await advance(w.lab, 30 * DAY)
      await refused(execute(w, tx))
    },
  },
  {
    name: 'the rejection runs at once, with a refund it does not',
    version: '1.4.1',
    async run(w) {
      const [a, b] = w.owners as [LabAccount, LabAccount]
      let paid = await (await w.kit(a)).createTransaction({
        transactions: [{ to: w.safe, value: '0', data: '0x' }],
        options: { gasPrice: '1', baseGas: '100000' },
      })
      paid = await (await w.kit(b)).signTransaction(await (await w.kit(a)).signTransaction(paid))
      await refused(execute(w, paid))
      await refused(execute(w, await signTx(w, { to: w.stranger.address })))
      await allowed(execute(w, await signTx(w, { to: w.safe })))
    },
  },
  {
    name: 'removal: uncancellable, not early even approved, runs after removalDelay',
    version: '1.4.1',
    async run(w) {
      const removal = await signTx(w, { to: w.safe, data: setGuardCalldata(zeroAddress) })
      const hash = await hashOf(w, removal)
      await allowed(guardianDoes(w, 'approve', hash))
      await refused(execute(w, removal))
      await allowed(schedule(w, removal))
      await refused(guardianDoes(w, 'cancel', hash))
      await advance(w.lab, HOUR)
      await refused(execute(w, removal))
      await advance(w.lab, 7 * DAY)
      await allowed(execute(w, removal))
    },
  },
  {
    name: 'a removal batched through MultiSend waits removalDelay too',
    version: '1.4.1',
    async run(w) {
      const batch = await signTx(w, {
        to: w.lab.contracts.multiSendCallOnly,
        operation: 1,
        data: encodeFunctionData({
          abi: [{ type: 'function', name: 'multiSend', inputs: [{ type: 'bytes' }], outputs: [] }],
          functionName: 'multiSend',
          args: [
            packMultiSend([{ operation: 0, to: w.safe, value: 0n, data: setGuardCalldata(zeroAddress) }]),
          ],
        }),
      })
      await allowed(schedule(w, batch))
      await advance(w.lab, HOUR)
      await refused(execute(w, batch))
    },
  },
  {
    name: 'code run by a transaction cannot pop its own frame to clear the guard',
    version: '1.4.1',
    async run(w) {
      const attack = await deployGuardAttack(w.lab, 'PopOwnFrameThenUnguard')
      const data = encodeFunctionData({
        abi: guardAttacks.contracts.PopOwnFrameThenUnguard.abi,
        functionName: 'run',
        args: [w.guard, attack],
      })
      const tx = await signTx(w, { to: attack, data, operation: 1 })
      await allowed(guardianDoes(w, 'approve', await hashOf(w, tx)))
      await refused(execute(w, tx))
    },
  },
  {
    name: 'a reconfiguration voids older approvals',
    version: '1.4.1',
    async run(w) {
      const pending = await signTx(w, { to: w.stranger.address, value: 1n, nonce: 2n })
      await allowed(guardianDoes(w, 'approve', await hashOf(w, pending)))
      const change = await signTx(w, { to: w.guard, data: guardCalldata.configure(w.settings) })
      await allowed(guardianDoes(w, 'approve', await hashOf(w, change)))
      await refused(execute(w, change))
      await allowed(schedule(w, change))
      await advance(w.lab, 7 * DAY)
      await allowed(execute(w, change))
      await refused(execute(w, pending))
    },
  },
  {
    name: 'module guard: only the allowlist and one approved call',
    version: '1.5.0',
    async run(w) {
      const module = w.lab.accounts[7] as LabAccount
      const enable = await signTx(w, {
        to: w.safe,
        data: encodeFunctionData({ abi: safeExecAbi, functionName: 'enableModule', args: [module.address] }),
      })
      await allowed(guardianDoes(w, 'approve', await hashOf(w, enable)))
      await allowed(execute(w, enable))
      const call = encodeFunctionData({
        abi: safeExecAbi,
        functionName: 'execTransactionFromModule',
        args: [w.stranger.address, 1n, '0x', 0],
      })
      await refused(send(w.lab, module, w.safe, call))
      const hash = await w.lab.public.readContract({
        address: w.guard,
        abi: custosGuardAbi,
        functionName: 'moduleCallHash',
        args: [w.safe, module.address, w.stranger.address, 1n, '0x', 0],
      })
      await allowed(guardianDoes(w, 'approve', hash))
      await allowed(send(w.lab, module, w.safe, call))
      await refused(send(w.lab, module, w.safe, call))
    },
  },
  {
    name: 'code run by a transaction cannot borrow the clearance of another at the same nonce',
    version: '1.4.1',
    async run(w) {
      const attack = await deployGuardAttack(w.lab, 'BorrowClearance')
      const cleared = await signTx(w, {
        to: w.guard,
        data: guardCalldata.configure({ ...w.settings, delay: 2 * HOUR }),
      })
      await allowed(schedule(w, cleared))
      await advance(w.lab, 7 * DAY)
      const data = encodeFunctionData({
        abi: guardAttacks.contracts.BorrowClearance.abi,
        functionName: 'run',
        args: [w.guard, w.guard, cleared.data.data as Hex, '0x'],
      })
      const tx = await signTx(w, { to: attack, data, operation: 1 })
      await allowed(guardianDoes(w, 'approve', await hashOf(w, tx)))
      await refused(execute(w, tx))
    },
  },
  {
    name: 'a transaction removes the module guard only after removalDelay',
    version: '1.5.0',
    async run(w) {
      const removal = await signTx(w, { to: w.safe, data: setModuleGuardCalldata(zeroAddress) })
      await allowed(guardianDoes(w, 'approve', await hashOf(w, removal)))
      await refused(execute(w, removal))
    },
  },
]

describe.skipIf(!checks)('mutation check of the guard', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab()
  })
  afterAll(() => lab?.stop())

  async function probe(guard: Address): Promise<string | undefined> {
    for (const p of PROBES) {
      const w = await guardedSafe(lab, p.version, {
        guard,
        settings: (guardian) => ({ ...DEFAULT_SETTINGS(guardian), delay: HOUR, removalDelay: 7 * DAY }),
      })
      try {
        await p.run(w)
      } catch {
        return p.name
      }
    }
    return undefined
  }

  async function deploy(bytecode: Hex): Promise<Address> {
    const hash = await lab.wallet.deployContract({
      account: lab.accounts[0]?.address as Address,
      chain: null,
      abi: [],
      bytecode,
    })
    const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
    if (!receipt.contractAddress) throw new Error('mutant deployment failed')
    return receipt.contractAddress
  }

  it('the real guard passes every probe', async () => {
    expect(await probe(await deployGuard(lab))).toBeUndefined()
  }, 300_000)

  it('every mutant fails a probe', async () => {
    const sources = readGuardSources()
    const results: { mutant: string; caughtBy: string | undefined }[] = []
    for (const m of MUTANTS) {
      const build = await compileGuard(mutate(sources, m))
      results.push({ mutant: m.name, caughtBy: await probe(await deploy(build.bytecode)) })
    }
    console.log(results.map((r) => `${r.mutant}: caught by "${r.caughtBy}"`).join('\n'))
    expect(results.filter((r) => r.caughtBy === undefined)).toEqual([])
  }, 1_800_000)
})
