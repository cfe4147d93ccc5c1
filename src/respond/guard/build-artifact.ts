// npm run compile:guard: compiles contracts/ and writes src/respond/guard/artifact.ts (the guard) and the lab's
// modules (src/lab/guard-attacks.ts, the attacks its lab tests run; src/lab/noop-guard.ts, the bench's floor).
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import {
  artifactPath,
  compileGuard,
  compileLab,
  LAB_BUILDS,
  type LabBuildName,
  labBuildPath,
  renderArtifact,
  renderLab,
} from './compile.js'

const build = await compileGuard()
writeFileSync(artifactPath(), renderArtifact(build))
const labs = Object.keys(LAB_BUILDS) as LabBuildName[]
for (const name of labs) writeFileSync(labBuildPath(name), renderLab(name, await compileLab(name)))
const written = [artifactPath(), ...labs.map(labBuildPath)]
execFileSync('npx', ['biome', 'format', '--write', ...written], { stdio: 'inherit' })
process.stdout.write(
  `wrote ${artifactPath()} (key ${build.key.slice(0, 12)}…, ${(build.deployedBytecode.length - 2) / 2} bytes of code) and ${labs.map(labBuildPath).join(', ')}\n`,
)
