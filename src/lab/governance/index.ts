// The governance lab: an OZ 5 governor with its TimelockController, a GovernorBravo-style governor with
// a Compound timelock, and the metamorphic-contract attack, compiled from ./*.sol (cached in artifacts.json).

export {
  bravoAbi,
  governorAbi,
  govTokenAbi,
  metamorphicFactoryAbi,
  ProposalState,
  timelockAbi,
} from './abis.js'
export { type BravoProposal, executeBravo, passBravo, proposeBravo, queueBravo } from './bravo.js'
export {
  type GovernanceArtifact,
  type GovernanceArtifacts,
  type GovernanceContractName,
  governanceCacheKey,
  loadGovernanceArtifacts,
  readCachedGovernanceArtifacts,
} from './compile.js'
export { deployMetamorphic, destroyMetamorphic, type Metamorphic } from './metamorphic.js'
export { executeOz, type OzProposal, passOz, proposeOz, queueOz } from './oz.js'
export { deployBravoGovernance, deployGovernance } from './stack.js'
export type {
  BravoStack,
  GovernanceOptions,
  GovernanceSettings,
  GovernanceStack,
} from './types.js'
export { GOV_TOKEN_SUPPLY } from './types.js'
