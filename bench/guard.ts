// Gas of the custos Guard on the lab: a guarded execTransaction on the approved path and on the scheduled path
// against the same transaction on an unguarded Safe and on a Safe whose guard does nothing (NoopGuard: what a
// Safe pays to call any guard at all), and the cost of approve, cancel and schedule, for Safe 1.3.0, 1.4.1 and
// 1.5.0. Figures are receipt gasUsed (after refunds), as the sender pays them.
import { type Address, concat, encodeFunctionData, type Hash, type Hex, parseAbi, parseEther } from 'viem'
import { sign } from 'viem/accounts'
import { deployGuard } from '../src/lab/guard.js'
import { type Lab, type LabAccount, startLab } from '../src/lab/index.js'
import { noopGuard } from '../src/lab/noop-guard.js'
import { createSafeOf, deploySafeVersion, type LabSafeVersion } from '../src/lab/safe-versions.js'
import { packMultiSend } from '../src/model/multisend.js'
import { execTransactionData, type SafeTx } from '../src/model/safe.js'
import { safeTxHashes } from '../src/model/safe-hash.js'
import { enableGuardTx, guardCalldata, plainSafeTx, setGuardCalldata } from '../src/respond/guard/contract.js'
import { breakdownItems, type GuardGasItem, guardFrameGas } from './guard-trace.js'

export type GuardGasRow = {
  safeVersion: string
  transaction: string
  unguarded: number
  /** The same transaction on a Safe whose guard does nothing: the floor of any guard. */
  noop: number
  approved: number
  scheduled: number
  /** noop - unguarded: what the Safe itself spends calling a guard (cold call, encoding, after-hook). */
  noopOverhead: number
  approvedOverhead: number
  scheduledOverhead: number
  approve: number
  cancel: number
  schedule: number
}

const safeAbi = parseAbi(['function nonce() view returns (uint256)'])
const HOUR = 3600

type World = { lab: Lab; version: LabSafeVersion; safe: Address; owners: LabAccount[]; executor: LabAccount }

async function signatures(w: World, tx: SafeTx): Promise<{ hash: Hash; signatures: Hex }> {
  const hash = safeTxHashes(w.version, w.lab.chainId, tx).safeTxHash
  const signers = [...w.owners.slice(0, 2)].sort((a, b) =>
    a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1,
  )
  return {
    hash,
    signatures: concat(
      await Promise.all(signers.map((s) => sign({ hash, privateKey: s.privateKey, to: 'hex' }))),
    ),
  }
}

type Sent = { gas: number; hash: Hash }

async function send(lab: Lab, from: LabAccount, to: Address, data: Hex): Promise<Sent> {
  const hash = await lab.wallet.sendTransaction({
    account: from.address,
    chain: null,
    to,
    data,
    gas: 3_000_000n,
  })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 5 })
  if (receipt.status !== 'success') throw new Error(`bench: transaction to ${to} reverted`)
  return { gas: Number(receipt.gasUsed), hash }
}

async function exec(w: World, tx: SafeTx, sigs: Hex): Promise<Sent> {
  const data = execTransactionData(tx, sigs)
  return send(w.lab, w.executor, w.safe, data)
}

const withoutSafe = ({ safe: _safe, ...fields }: SafeTx) => fields

const nonceOf = (w: World) =>
  w.lab.public.readContract({ address: w.safe, abi: safeAbi, functionName: 'nonce' })

/** The guard a bench Safe runs: none, the do-nothing guard, or the custos Guard with its settings written. */
type Guarding = { kind: 'none' } | { kind: 'noop'; guard: Address } | { kind: 'custos'; guard: Address }

async function world(lab: Lab, version: LabSafeVersion, guarding: Guarding): Promise<World> {
  const [, a, b, c, , executor] = lab.accounts as LabAccount[]
  const owners = [a, b, c] as LabAccount[]
  const safe = await createSafeOf(lab, await deploySafeVersion(lab, version), {
    owners: owners.map((o) => o.address),
    threshold: 2,
    fund: parseEther('100'),
  })
  const w = { lab, version, safe, owners, executor: executor as LabAccount }
  // A first transaction on every Safe, so that none pays for its nonce's first write in the figures.
  const first =
    guarding.kind === 'custos'
      ? enableGuardTx({
          safe,
          version,
          nonce: 0n,
          settings: {
            guardian: (lab.accounts[4] as LabAccount).address,
            delay: HOUR,
            removalDelay: 7 * 24 * HOUR,
            moduleAllowlist: [],
          },
          multiSendCallOnly: lab.contracts.multiSendCallOnly,
          guard: guarding.guard,
        })
      : plainSafeTx(safe, {
          to: safe,
          data: guarding.kind === 'noop' ? setGuardCalldata(guarding.guard) : '0x',
          nonce: 0n,
        })
  await exec(w, first, (await signatures(w, first)).signatures)
  return w
}

/** The measured transactions: an ETH transfer, an ERC20 transfer, and a MultiSend batch (a DELEGATECALL). */
function cases(lab: Lab, safe: Address, nonce: bigint): { name: string; tx: SafeTx }[] {
  const recipient = (lab.accounts[9] as LabAccount).address
  const transfer = encodeFunctionData({
    abi: parseAbi(['function transfer(address to, uint256 amount) returns (bool)']),
    functionName: 'transfer',
    args: [recipient, 1n],
  })
  return [
    { name: 'ETH transfer', tx: plainSafeTx(safe, { to: recipient, value: 1n, data: '0x', nonce }) },
    { name: 'ERC20 transfer', tx: plainSafeTx(safe, { to: lab.token, data: transfer, nonce }) },
    {
      name: 'MultiSend of two ETH transfers (DELEGATECALL)',
      tx: plainSafeTx(safe, {
        to: lab.contracts.multiSendCallOnly,
        operation: 1,
        nonce,
        data: encodeFunctionData({
          abi: parseAbi(['function multiSend(bytes transactions) payable']),
          functionName: 'multiSend',
          args: [
            packMultiSend([
              { operation: 0, to: recipient, value: 1n, data: '0x' },
              { operation: 0, to: recipient, value: 2n, data: '0x' },
            ]),
          ],
        }),
      }),
    },
  ]
}

async function deployNoopGuard(lab: Lab): Promise<Address> {
  const hash = await lab.wallet.deployContract({
    account: (lab.accounts[0] as LabAccount).address,
    chain: null,
    abi: noopGuard.contracts.NoopGuard.abi,
    bytecode: noopGuard.contracts.NoopGuard.bytecode,
  })
  const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 5 })
  if (!receipt.contractAddress) throw new Error('bench: deploying the no-op guard failed')
  return receipt.contractAddress
}

/** custos's own cost on one approved transaction, by kind of work (guard-trace.ts). */
export type GuardGasBreakdown = {
  safeVersion: string
  transaction: string
  /** The no-op guard's overhead: what the Safe spends calling any guard. */
  floor: number
  /** The approved path's overhead minus the floor. */
  own: number
  items: GuardGasItem[]
}

export async function guardBench(): Promise<{ rows: GuardGasRow[]; breakdown: GuardGasBreakdown[] }> {
  const lab = await startLab({ stepsTracing: true })
  try {
    const guard = await deployGuard(lab)
    const noop = await deployNoopGuard(lab)
    const [, , , , guardian, , stranger] = lab.accounts as LabAccount[]
    if (!guardian || !stranger) throw new Error('bench: lab accounts missing')
    // Token balances that are already non-zero everywhere, so that no figure pays for a first write (the
    // lab token mints 10^15 units to the deployer).
    const erc20 = parseAbi(['function transfer(address to, uint256 amount) returns (bool)'])
    const deployer = lab.accounts[0] as LabAccount
    const fund = (to: Address) =>
      send(
        lab,
        deployer,
        lab.token,
        encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [to, 10n ** 12n] }),
      )
    await fund((lab.accounts[9] as LabAccount).address)
    const rows: GuardGasRow[] = []
    const breakdown: GuardGasBreakdown[] = []
    for (const version of ['1.3.0', '1.4.1', '1.5.0'] as const) {
      const plain = await world(lab, version, { kind: 'none' })
      const floor = await world(lab, version, { kind: 'noop', guard: noop })
      const guarded = await world(lab, version, { kind: 'custos', guard })
      for (const w of [plain, floor, guarded]) await fund(w.safe)
      for (const [i] of cases(lab, plain.safe, 0n).entries()) {
        const p = cases(lab, plain.safe, await nonceOf(plain))[i] as { name: string; tx: SafeTx }
        const unguarded = (await exec(plain, p.tx, (await signatures(plain, p.tx)).signatures)).gas
        const n = cases(lab, floor.safe, await nonceOf(floor))[i] as { name: string; tx: SafeTx }
        const noopGas = (await exec(floor, n.tx, (await signatures(floor, n.tx)).signatures)).gas

        const a = cases(lab, guarded.safe, await nonceOf(guarded))[i] as { name: string; tx: SafeTx }
        const signedA = await signatures(guarded, a.tx)
        const approve = (await send(lab, guardian, guard, guardCalldata.approve(guarded.safe, signedA.hash)))
          .gas
        const sentA = await exec(guarded, a.tx, signedA.signatures)
        const approved = sentA.gas
        if (version === '1.4.1' && i === 0) {
          const own = approved - noopGas
          breakdown.push({
            safeVersion: version,
            transaction: a.name,
            floor: noopGas - unguarded,
            own,
            items: breakdownItems(own, await guardFrameGas(lab, sentA.hash, guard)),
          })
        }

        const s = cases(lab, guarded.safe, await nonceOf(guarded))[i] as { name: string; tx: SafeTx }
        const signedS = await signatures(guarded, s.tx)
        const schedule = (
          await send(
            lab,
            stranger,
            guard,
            guardCalldata.schedule(guarded.safe, withoutSafe(s.tx), signedS.signatures),
          )
        ).gas
        await lab.test.increaseTime({ seconds: HOUR })
        const scheduled = (await exec(guarded, s.tx, signedS.signatures)).gas

        // Cancel: a transaction at a later nonce, scheduled then cancelled.
        const c = cases(lab, guarded.safe, (await nonceOf(guarded)) + 5n)[i] as { name: string; tx: SafeTx }
        const signedC = await signatures(guarded, c.tx)
        await send(
          lab,
          stranger,
          guard,
          guardCalldata.schedule(guarded.safe, withoutSafe(c.tx), signedC.signatures),
        )
        const cancel = (await send(lab, guardian, guard, guardCalldata.cancel(guarded.safe, signedC.hash)))
          .gas

        rows.push({
          safeVersion: version,
          transaction: p.name,
          unguarded,
          noop: noopGas,
          approved,
          scheduled,
          noopOverhead: noopGas - unguarded,
          approvedOverhead: approved - unguarded,
          scheduledOverhead: scheduled - unguarded,
          approve,
          cancel,
          schedule,
        })
      }
    }
    return { rows, breakdown }
  } finally {
    await lab.stop()
  }
}
