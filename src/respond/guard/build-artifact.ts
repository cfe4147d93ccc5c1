// npm run compile:guard: compiles contracts/CustosGuard.sol and writes src/respond/guard/artifact.ts.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { artifactPath, compileGuard, renderArtifact } from './compile.js'

const build = await compileGuard()
writeFileSync(artifactPath(), renderArtifact(build))
execFileSync('npx', ['biome', 'format', '--write', artifactPath()], { stdio: 'inherit' })
process.stdout.write(`wrote ${artifactPath()} (key ${build.key.slice(0, 12)}…, ${(build.deployedBytecode.length - 2) / 2} bytes of code)\n`)
