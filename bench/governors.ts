import type { Address } from 'viem'
import { deploy } from '../src/lab/governance/chain.js'
import { type GovernanceStack, loadGovernanceArtifacts } from '../src/lab/governance/index.js'
import type { Lab } from '../src/lab/index.js'

/**
 * More LabGovernor contracts on the stack's token and timelock, for the scale run: they only need
 * to exist (and emit nothing), so they share the stack's GovToken and TimelockController.
 */
export async function deployGovernors(lab: Lab, stack: GovernanceStack, count: number): Promise<Address[]> {
  const { contracts: c } = await loadGovernanceArtifacts()
  const s = stack.settings
  const out: Address[] = []
  for (let i = 0; i < count; i++)
    out.push(
      await deploy(lab, stack.deployer, c.LabGovernor, [
        stack.token,
        stack.timelock,
        s.votingDelay,
        s.votingPeriod,
        s.proposalThreshold,
        s.quorumNumerator,
        stack.guardian,
      ]),
    )
  return out
}
