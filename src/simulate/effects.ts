import { type Address, type Hex, zeroAddress } from 'viem'
import type {
  AccountDiff,
  Approval,
  AssetChange,
  CodeChange,
  PermissionChange,
  ProxyUpgrade,
  SimLog,
  TraceCall,
} from '../model/simulation.js'
import { wordToAddress } from './diff.js'
import { flattenTrace } from './trace.js'

// EIP-1967 slots: bytes32(uint256(keccak256('eip1967.proxy.implementation')) - 1), and so on.
const EIP1967: Record<Hex, ProxyUpgrade['kind']> = {
  '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc': 'implementation',
  '0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103': 'admin',
  '0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50': 'beacon',
}

const arg = (log: SimLog, name: string) => log.event?.args[name]
const evt = (log: SimLog) => log.event?.signature.split('(')[0]
const indexedCount = (log: SimLog) => log.topics.length - 1

/** Frames that ran to completion: value moved by a reverted frame never moved. */
function completedFrames(root: TraceCall): TraceCall[] {
  const out: TraceCall[] = []
  const walk = (f: TraceCall) => {
    if (f.error) return
    out.push(f)
    for (const c of f.calls) walk(c)
  }
  walk(root)
  return out
}

/** Token and native movements, from transfer events and from value carried by calls. */
export function assetChanges(trace: TraceCall, logs: SimLog[]): AssetChange[] {
  const out: AssetChange[] = []
  for (const f of completedFrames(trace)) {
    const moves =
      f.type === 'CALL' ||
      f.type === 'CALLCODE' ||
      f.type === 'CREATE' ||
      f.type === 'CREATE2' ||
      f.type === 'SELFDESTRUCT'
    if (moves && f.value > 0n)
      out.push({ standard: 'native', token: null, from: f.from, to: f.to, amount: f.value })
  }
  for (const log of logs) {
    const name = evt(log)
    if (name === 'Transfer' && indexedCount(log) === 2) {
      out.push({
        standard: 'erc20',
        token: log.address,
        from: arg(log, 'from') as Address,
        to: arg(log, 'to') as Address,
        amount: arg(log, 'value') as bigint,
      })
    } else if (name === 'Transfer' && indexedCount(log) === 3) {
      out.push({
        standard: 'erc721',
        token: log.address,
        from: arg(log, 'from') as Address,
        to: arg(log, 'to') as Address,
        amount: 1n,
        tokenId: arg(log, 'tokenId') as bigint,
      })
    } else if (name === 'TransferSingle') {
      out.push({
        standard: 'erc1155',
        token: log.address,
        from: arg(log, 'from') as Address,
        to: arg(log, 'to') as Address,
        amount: arg(log, 'value') as bigint,
        tokenId: arg(log, 'id') as bigint,
      })
    } else if (name === 'TransferBatch') {
      const ids = arg(log, 'ids') as bigint[]
      const values = arg(log, 'values') as bigint[]
      for (const [i, id] of ids.entries()) {
        out.push({
          standard: 'erc1155',
          token: log.address,
          from: arg(log, 'from') as Address,
          to: arg(log, 'to') as Address,
          amount: values[i] ?? 0n,
          tokenId: id,
        })
      }
    }
  }
  return out
}

export function approvals(logs: SimLog[]): Approval[] {
  const out: Approval[] = []
  for (const log of logs) {
    const name = evt(log)
    if (name === 'Approval' && indexedCount(log) === 2) {
      out.push({
        standard: 'erc20',
        token: log.address,
        owner: arg(log, 'owner') as Address,
        spender: arg(log, 'spender') as Address,
        amount: arg(log, 'value') as bigint,
      })
    } else if (name === 'Approval' && indexedCount(log) === 3) {
      out.push({
        standard: 'erc721',
        token: log.address,
        owner: arg(log, 'owner') as Address,
        spender: arg(log, 'approved') as Address,
        tokenId: arg(log, 'tokenId') as bigint,
      })
    } else if (name === 'ApprovalForAll') {
      out.push({
        standard: 'operator',
        token: log.address,
        owner: arg(log, 'owner') as Address,
        spender: arg(log, 'operator') as Address,
        approved: arg(log, 'approved') as boolean,
      })
    }
  }
  return out
}

/** EIP-1967 slot changes on any touched account, and the Upgraded/BeaconUpgraded events. */
export function proxyUpgrades(diff: AccountDiff[], logs: SimLog[]): ProxyUpgrade[] {
  const out: ProxyUpgrade[] = []
  for (const account of diff) {
    for (const s of account.storage) {
      const kind = EIP1967[s.slot]
      if (!kind) continue
      out.push({
        proxy: account.address,
        kind,
        before: nonZero(wordToAddress(s.before)),
        after: nonZero(wordToAddress(s.after)),
        source: 'storage',
      })
    }
  }
  for (const log of logs) {
    const name = evt(log)
    const kind = name === 'Upgraded' ? 'implementation' : name === 'BeaconUpgraded' ? 'beacon' : undefined
    if (!kind) continue
    const after = (arg(log, kind === 'implementation' ? 'implementation' : 'beacon') as Address) ?? null
    // The storage diff already shows a standard proxy's upgrade; the event adds the non-standard ones.
    if (!out.some((u) => u.proxy === log.address && u.kind === kind && u.after === after)) {
      out.push({ proxy: log.address, kind, before: null, after, source: 'event' })
    }
  }
  return out
}

const nonZero = (a: Address | undefined): Address | null => (a && a !== zeroAddress ? a : null)

export function permissionChanges(logs: SimLog[]): PermissionChange[] {
  const out: PermissionChange[] = []
  for (const log of logs) {
    const name = evt(log)
    if (name === 'OwnershipTransferStarted') {
      out.push({
        contract: log.address,
        kind: 'ownership-pending',
        account: arg(log, 'newOwner') as Address,
        previous: arg(log, 'previousOwner') as Address,
      })
    } else if (name === 'RoleAdminChanged') {
      out.push({
        contract: log.address,
        kind: 'role-admin-changed',
        role: arg(log, 'role') as Hex,
        adminRole: arg(log, 'newAdminRole') as Hex,
      })
    } else if (name === 'OwnershipTransferred') {
      out.push({
        contract: log.address,
        kind: 'ownership',
        account: arg(log, 'newOwner') as Address,
        previous: arg(log, 'previousOwner') as Address,
      })
    } else if (name === 'RoleGranted' || name === 'RoleRevoked') {
      out.push({
        contract: log.address,
        kind: name === 'RoleGranted' ? 'role-granted' : 'role-revoked',
        account: arg(log, 'account') as Address,
        role: arg(log, 'role') as Hex,
      })
    } else if (name === 'AdminChanged') {
      out.push({
        contract: log.address,
        kind: 'admin',
        account: arg(log, 'newAdmin') as Address,
        previous: arg(log, 'previousAdmin') as Address,
      })
    }
  }
  return out
}

/** Contracts created and SELFDESTRUCTs reached (in frames that did not revert). */
export function codeChanges(trace: TraceCall): CodeChange[] {
  const out: CodeChange[] = []
  for (const f of completedFrames(trace)) {
    if (f.type === 'CREATE' || f.type === 'CREATE2') out.push({ kind: 'created', address: f.to, by: f.from })
    if (f.type === 'SELFDESTRUCT')
      out.push({ kind: 'selfdestruct', address: f.from, by: f.from, beneficiary: f.to })
  }
  return out
}

/** Every address seen in the trace and logs: candidates for naming mapping slots. */
export function seenAddresses(trace: TraceCall, logs: SimLog[]): Set<Address> {
  const seen = new Set<Address>()
  for (const f of flattenTrace(trace)) {
    seen.add(f.from)
    seen.add(f.to)
    for (const word of words(f.input.slice(10))) {
      const a = wordToAddress(word)
      if (a && a !== zeroAddress) seen.add(a)
    }
  }
  for (const l of logs) {
    seen.add(l.address)
    for (const t of l.topics.slice(1)) {
      const a = wordToAddress(t)
      if (a && a !== zeroAddress) seen.add(a)
    }
  }
  return seen
}

function* words(hexNo0x: string): Generator<Hex> {
  for (let i = 0; i + 64 <= hexNo0x.length && i < 64 * 2048; i += 64)
    yield `0x${hexNo0x.slice(i, i + 64)}` as Hex
}
