import type { Hash } from 'viem'

/** What became of a veto attempt. */
export type VetoStatus = 'dry-run' | 'sent' | 'proposed' | 'failed' | 'refused' | 'rate-limited'

export type VetoOutcome = {
  status: VetoStatus
  message: string
  txHash?: Hash
  /** custos cannot make this veto, and the signers must hear of it (the ladder starts). */
  escalate?: true
}
