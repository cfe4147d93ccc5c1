import { getContractAddress, keccak256 } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployGuard } from '../../../src/lab/guard.js'
import { guardAttacks } from '../../../src/lab/guard-attacks.js'
import { type Lab, startLab } from '../../../src/lab/index.js'
import { noopGuard } from '../../../src/lab/noop-guard.js'
import { guardArtifact } from '../../../src/respond/guard/artifact.js'
import { attacksCacheKey, guardCacheKey, labCacheKey } from '../../../src/respond/guard/compile.js'
import {
  CUSTOS_GUARD_ADDRESS,
  CUSTOS_GUARD_CODE_HASH,
  custosGuardBytecode,
  DETERMINISTIC_DEPLOYER,
  GUARD_SALT,
  guardRuntimeCode,
} from '../../../src/respond/guard/contract.js'

describe('the committed guard artifact', () => {
  it('matches the sources, the solc version and the settings (else run npm run compile:guard)', () => {
    expect(guardArtifact.key).toBe(guardCacheKey())
    expect(guardAttacks.key).toBe(attacksCacheKey())
    expect(noopGuard.key).toBe(labCacheKey('noop'))
  })

  it('gives one address on every chain: CREATE2 of the committed bytecode through the deterministic proxy', () => {
    expect(CUSTOS_GUARD_ADDRESS).toBe(
      getContractAddress({
        opcode: 'CREATE2',
        from: DETERMINISTIC_DEPLOYER,
        salt: GUARD_SALT,
        bytecode: custosGuardBytecode,
      }),
    )
    expect(Object.values(guardArtifact.immutableReferences).flat()).not.toHaveLength(0)
  })
})

describe('deployment', () => {
  const labs: Lab[] = []
  beforeAll(async () => {
    labs.push(await startLab(), await startLab({ chainId: 10 }))
  })
  afterAll(() => Promise.all(labs.map((l) => l.stop())))

  it('lands at the same address with the committed code on two chains, and a second deploy changes nothing', async () => {
    for (const lab of labs) {
      expect(await deployGuard(lab)).toBe(CUSTOS_GUARD_ADDRESS)
      const code = await lab.public.getCode({ address: CUSTOS_GUARD_ADDRESS })
      expect(code).toBe(guardRuntimeCode())
      expect(keccak256(code ?? '0x')).toBe(CUSTOS_GUARD_CODE_HASH)
      expect(await deployGuard(lab)).toBe(CUSTOS_GUARD_ADDRESS)
    }
  })
})
