// A small reference model of the custos Guard for one Safe, written from the rules (not from the
// contract): the property test predicts every step with it and compares with the chain.

export type Kind =
  /** A plain transfer. */
  | 'benign'
  /** setGuard(0) as a single zero-gas call: the canonical removal, uncancellable, waits removalDelay. */
  | 'removal'
  /** setGuard(0) inside a MultiSendCallOnly batch: cancellable, but its effect still needs removalDelay. */
  | 'batchRemoval'
  /** configure(...) on the guard as a single zero-gas call: uncancellable, waits removalDelay. */
  | 'settings'
  /** The canonical rejection: always runs at once. */
  | 'rejection'

export type Item = { kind: Kind; nonce: bigint; hash: `0x${string}` }

export type RecordState = {
  scheduledAt?: bigint
  approvedEpoch: number
  cancelled: boolean
  guardChange: boolean
}

export type ModelState = {
  time: bigint
  nonce: bigint
  epoch: number
  delay: bigint
  removalDelay: bigint
  guardActive: boolean
  records: Map<string, RecordState>
}

export const emptyRecord = (): RecordState => ({ approvedEpoch: 0, cancelled: false, guardChange: false })
export const recordOf = (m: ModelState, item: Item): RecordState => m.records.get(item.hash) ?? emptyRecord()
const isCanonicalGuardChange = (kind: Kind) => kind === 'removal' || kind === 'settings'
const changesGuard = (kind: Kind) => kind === 'removal' || kind === 'batchRemoval' || kind === 'settings'

/** Whether the guard lets the item run now, and whether it may change the guard or the settings. */
export function admits(m: ModelState, item: Item): { pass: boolean; cleared: boolean } {
  if (item.kind === 'rejection') return { pass: true, cleared: false }
  const r = recordOf(m, item)
  if (r.cancelled) return { pass: false, cleared: false }
  const at = r.scheduledAt
  const cleared = at !== undefined && m.time >= at + m.removalDelay
  const ready = at !== undefined && m.time >= at + (r.guardChange ? m.removalDelay : m.delay)
  const approved = !r.guardChange && r.approvedEpoch === m.epoch
  return { pass: ready || approved, cleared }
}

export type Step =
  | { action: 'execute'; item: number }
  | { action: 'schedule'; item: number }
  | { action: 'approve' | 'revoke' | 'cancel'; item: number; by: 'guardian' | 'stranger' }
  | { action: 'strangerConfigure' }
  | { action: 'wait'; seconds: number }

/** Applies a step to the model: whether it succeeds, and the model after it. */
export function apply(m: ModelState, items: readonly Item[], step: Step): boolean {
  if (step.action === 'wait') {
    m.time += BigInt(step.seconds)
    return true
  }
  // Every other step is a transaction in a block one second after the last.
  m.time += 1n
  if (step.action === 'strangerConfigure') return true
  const item = items[step.item] as Item
  const r = recordOf(m, item)
  switch (step.action) {
    case 'schedule': {
      if (item.kind === 'rejection' || item.nonce < m.nonce || r.scheduledAt !== undefined || r.cancelled)
        return false
      m.records.set(item.hash, { ...r, scheduledAt: m.time, guardChange: isCanonicalGuardChange(item.kind) })
      return true
    }
    case 'approve':
      if (step.by !== 'guardian' || r.cancelled) return false
      m.records.set(item.hash, { ...r, approvedEpoch: m.epoch })
      return true
    case 'revoke':
      if (step.by !== 'guardian' || r.approvedEpoch !== m.epoch) return false
      m.records.set(item.hash, { ...r, approvedEpoch: 0 })
      return true
    case 'cancel':
      if (step.by !== 'guardian' || r.scheduledAt === undefined || r.guardChange || r.cancelled) return false
      m.records.set(item.hash, { ...r, cancelled: true, approvedEpoch: 0 })
      return true
    case 'execute': {
      if (item.nonce !== m.nonce) return false
      if (m.guardActive) {
        const { pass, cleared } = admits(m, item)
        if (!pass || (changesGuard(item.kind) && !cleared)) return false
        if (item.kind !== 'rejection') m.records.delete(item.hash)
      }
      m.nonce += 1n
      if (item.kind === 'removal' || item.kind === 'batchRemoval') m.guardActive = false
      if (item.kind === 'settings') m.epoch += 1
      return true
    }
  }
}
