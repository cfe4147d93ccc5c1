import type { PublicClient } from 'viem'
import type { VetoOutcome } from '../../model/veto.js'
import type { VetoSigner } from '../veto-signer.js'

/** What every executor is given: the chain, the guardian's key (when configured), the mode. */
export type ExecutorDeps = {
  chainId: number
  client: PublicClient
  signer: VetoSigner | undefined
  /** Make every check, then stop: nothing is signed or sent. */
  dryRun: boolean
}

export const noKey: VetoOutcome = {
  status: 'refused',
  message: 'no veto key is configured (veto.keyEnv or veto.keystore)',
}
