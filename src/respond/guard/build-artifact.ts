// npm run compile:guard: compiles contracts/ and writes src/respond/guard/artifact.ts (the guard) and
// src/lab/guard-attacks.ts (the attacks its lab tests run).
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import {
  artifactPath,
  attacksPath,
  compileGuard,
  compileGuardAttacks,
  renderArtifact,
  renderAttacks,
} from './compile.js'

const build = await compileGuard()
writeFileSync(artifactPath(), renderArtifact(build))
writeFileSync(attacksPath(), renderAttacks(await compileGuardAttacks()))
execFileSync('npx', ['biome', 'format', '--write', artifactPath(), attacksPath()], { stdio: 'inherit' })
process.stdout.write(
  `wrote ${artifactPath()} (key ${build.key.slice(0, 12)}…, ${(build.deployedBytecode.length - 2) / 2} bytes of code) and ${attacksPath()}\n`,
)
