import type { Guard } from '../src/model/guard.js'
import addressLookalike from './address-lookalike.js'
import assetOutflow from './asset-outflow.js'
import codePinning from './code-pinning.js'
import contractCreation from './contract-creation.js'
import decodedMismatch from './decoded-mismatch.js'
import delegatecallUntrusted from './delegatecall-untrusted.js'
import gasRefund from './gas-refund.js'
import governanceParamChange from './governance-param-change.js'
import hashMismatch from './hash-mismatch.js'
import largeTransfer from './large-transfer.js'
import nonceCompetition from './nonce-competition.js'
import permissionChange from './permission-change.js'
import privilegedCall from './privileged-call.js'
import proxyUpgrade from './proxy-upgrade.js'
import safeConfigChange from './safe-config-change.js'
import safeStateChange from './safe-state-change.js'
import selfdestruct from './selfdestruct.js'
import signatureInvalid from './signature-invalid.js'
import simulationDrift from './simulation-drift.js'
import simulationFailed from './simulation-failed.js'
import simulationUnavailable from './simulation-unavailable.js'
import tokenApproval from './token-approval.js'
import treasuryOutflow from './treasury-outflow.js'
import undecodable from './undecodable.js'
import unverifiableTarget from './unverifiable-target.js'

/** The static registry of guards. Adding a guard means adding its file and a line here. */
export const GUARDS: readonly Guard[] = [
  hashMismatch,
  signatureInvalid,
  decodedMismatch,
  undecodable,
  delegatecallUntrusted,
  contractCreation,
  safeConfigChange,
  gasRefund,
  tokenApproval,
  largeTransfer,
  addressLookalike,
  privilegedCall,
  nonceCompetition,
  // Governance (governor proposals and timelock operations), from the calldata and the facts read:
  governanceParamChange,
  codePinning,
  unverifiableTarget,
  treasuryOutflow,
  // On the simulation:
  simulationUnavailable,
  simulationFailed,
  safeStateChange,
  assetOutflow,
  proxyUpgrade,
  permissionChange,
  selfdestruct,
  simulationDrift,
] as unknown as readonly Guard[]
