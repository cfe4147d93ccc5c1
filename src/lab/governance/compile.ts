import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Abi, Hex } from 'viem'

const require = createRequire(import.meta.url)

// OZ 5.7 uses MCOPY (Cancun) in Bytes, Arrays and SignatureChecker, which GovToken (through EIP712 and
// Strings) and the governor import: those two compile for Cancun and cannot run on an older chain.
// Everything else compiles for Shanghai and runs on any fork from Shanghai on, including the Shanghai
// chain that the metamorphic pattern needs (SELFDESTRUCT still removes code there).
export type EvmVersion = 'shanghai' | 'cancun'

const UNITS = [
  { file: 'GovToken.sol', evmVersion: 'cancun', contracts: ['GovToken'] },
  { file: 'LabGovernor.sol', evmVersion: 'cancun', contracts: ['LabGovernor'] },
  {
    file: '@openzeppelin/contracts/governance/TimelockController.sol',
    evmVersion: 'shanghai',
    contracts: ['TimelockController'],
  },
  { file: 'LabVotesToken.sol', evmVersion: 'shanghai', contracts: ['LabVotesToken'] },
  { file: 'LabBravo.sol', evmVersion: 'shanghai', contracts: ['LabBravo'] },
  { file: 'LabBravoTimelock.sol', evmVersion: 'shanghai', contracts: ['LabBravoTimelock'] },
  {
    file: 'Metamorphic.sol',
    evmVersion: 'shanghai',
    contracts: ['MetamorphicFactory', 'MetamorphicDeployer', 'BenignProposal', 'MaliciousProposal'],
  },
] as const

const OPTIMIZER = { enabled: true, runs: 200 } as const

export type GovernanceContractName = (typeof UNITS)[number]['contracts'][number]
export type GovernanceArtifact = { abi: Abi; bytecode: Hex; evmVersion: EvmVersion }
export type GovernanceArtifacts = {
  /** SHA-256 of the sources, the solc and OZ versions and the compiler settings. */
  key: string
  solc: string
  openzeppelin: string
  contracts: Record<GovernanceContractName, GovernanceArtifact>
}

/** The package root: the same from src/ (vitest) and from dist/src/ (the built CLI). */
function packageRoot(): string {
  let dir = import.meta.dirname
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`lab: cannot find the package root above ${import.meta.dirname}`)
    dir = parent
  }
  return dir
}

/** Where the .sol sources and the committed artifacts.json live (under src/, also when running dist/). */
export function governanceDir(): string {
  return join(packageRoot(), 'src/lab/governance')
}

const artifactsPath = () => join(governanceDir(), 'artifacts.json')
const version = (pkg: string): string => (require(`${pkg}/package.json`) as { version: string }).version

function readSources(): Record<string, string> {
  const dir = governanceDir()
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sol'))
    .sort()
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]))
}

/** The cache key of the current sources, compiler and OZ versions; no compiling involved. */
export function governanceCacheKey(): string {
  const hash = createHash('sha256')
  hash.update(
    JSON.stringify({ solc: version('solc'), oz: version('@openzeppelin/contracts'), UNITS, OPTIMIZER }),
  )
  for (const [file, content] of Object.entries(readSources())) hash.update(`\0${file}\0${content}`)
  return hash.digest('hex')
}

/** The committed artifacts file as it is, current or not; undefined when absent or malformed. */
export function readCachedGovernanceArtifacts(): GovernanceArtifacts | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(artifactsPath(), 'utf8'))
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { key, contracts } = parsed as Partial<GovernanceArtifacts>
  if (typeof key !== 'string' || typeof contracts !== 'object' || contracts === null) return undefined
  return parsed as GovernanceArtifacts
}

let memo: GovernanceArtifacts | undefined

/**
 * The governance artifacts: from artifacts.json when its key matches the sources, otherwise compiled
 * with solc (seconds) and written back. `compile: false` throws instead of compiling.
 */
export async function loadGovernanceArtifacts(
  opts: { compile?: boolean } = {},
): Promise<GovernanceArtifacts> {
  const key = governanceCacheKey()
  if (memo?.key === key) return memo
  const cached = readCachedGovernanceArtifacts()
  if (cached?.key === key) {
    memo = cached
    return cached
  }
  if (opts.compile === false)
    throw new Error(`lab: ${artifactsPath()} is stale or missing and compiling is disabled`)
  const compiled = await compileGovernance()
  writeFileSync(artifactsPath(), `${JSON.stringify(compiled, null, 2)}\n`)
  memo = compiled
  return compiled
}

type SolcOutput = {
  errors?: Array<{ severity: string; formattedMessage: string }>
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
}

/** Compiles the governance sources with the npm solc package (no download: its soljson is bundled). */
export async function compileGovernance(): Promise<GovernanceArtifacts> {
  // Loaded lazily: solc's emscripten build takes a while to start and the cache usually makes it moot.
  const solc = (await import('solc')).default
  const sources = readSources()
  const findImports = (path: string) => {
    try {
      return { contents: readFileSync(require.resolve(path), 'utf8') }
    } catch (error) {
      return { error: `cannot resolve ${path}: ${String(error)}` }
    }
  }
  // An OZ file compiled for its own artifact (TimelockController) is read like any import.
  const ozSource = (file: string): string => {
    const found = findImports(file)
    if ('error' in found) throw new Error(`lab: ${found.error}`)
    return found.contents
  }
  const contracts: Partial<Record<GovernanceContractName, GovernanceArtifact>> = {}
  for (const evmVersion of ['cancun', 'shanghai'] as const) {
    const units = UNITS.filter((u) => u.evmVersion === evmVersion)
    const input = {
      language: 'Solidity',
      sources: Object.fromEntries(
        units.map((u) => [u.file, { content: sources[u.file] ?? ozSource(u.file) }]),
      ),
      settings: {
        evmVersion,
        optimizer: OPTIMIZER,
        outputSelection: Object.fromEntries(
          units.map((u) => [
            u.file,
            Object.fromEntries(u.contracts.map((c) => [c, ['abi', 'evm.bytecode.object']])),
          ]),
        ),
      },
    }
    const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput
    const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
    if (errors.length > 0)
      throw new Error(`lab: solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
    for (const u of units) {
      for (const name of u.contracts) {
        const out = output.contracts?.[u.file]?.[name]
        if (!out) throw new Error(`lab: solc produced no ${name} from ${u.file}`)
        contracts[name] = { abi: out.abi, bytecode: `0x${out.evm.bytecode.object}`, evmVersion }
      }
    }
  }
  return {
    key: governanceCacheKey(),
    solc: version('solc'),
    openzeppelin: version('@openzeppelin/contracts'),
    contracts: contracts as Record<GovernanceContractName, GovernanceArtifact>,
  }
}
