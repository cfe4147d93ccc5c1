import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Abi, Hex } from 'viem'

const require = createRequire(import.meta.url)

// The lab's protocol: Chainlink's own contracts (its mock aggregator and the real Optimism
// sequencer uptime feed) and a small lending pool, compiled with the npm solc like the
// governance lab, and cached in artifacts.json under a key of the sources and versions.

const UNITS = [
  { file: 'LabLendingPool.sol', contracts: ['LabLendingPool'] },
  { file: 'LabFeeds.sol', contracts: ['LabAggregator', 'LabFeedProxy', 'LabL2Messenger'] },
  {
    file: '@chainlink/contracts/src/v0.8/l2ep/dev/optimism/OptimismSequencerUptimeFeed.sol',
    contracts: ['OptimismSequencerUptimeFeed'],
  },
] as const
// Cancun: OZ 5.7's AccessControlEnumerable reaches code that uses MCOPY.
const SETTINGS = { evmVersion: 'cancun', optimizer: { enabled: true, runs: 200 } } as const
const PACKAGES = ['solc', '@chainlink/contracts', '@openzeppelin/contracts', '@eth-optimism/contracts']

export type ProtocolContractName = (typeof UNITS)[number]['contracts'][number]
export type ProtocolArtifact = { abi: Abi; bytecode: Hex }
export type ProtocolArtifacts = {
  /** SHA-256 of the sources, the package versions and the compiler settings. */
  key: string
  versions: Record<string, string>
  contracts: Record<ProtocolContractName, ProtocolArtifact>
}

function packageRoot(): string {
  let dir = import.meta.dirname
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`lab: cannot find the package root above ${import.meta.dirname}`)
    dir = parent
  }
  return dir
}

/** Where the .sol sources and artifacts.json live (under src/, also when running dist/). */
export const protocolDir = (): string => join(packageRoot(), 'src/lab/protocol')
const artifactsPath = () => join(protocolDir(), 'artifacts.json')
const versions = () =>
  Object.fromEntries(PACKAGES.map((p) => [p, (require(`${p}/package.json`) as { version: string }).version]))

function readSources(): Record<string, string> {
  const dir = protocolDir()
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sol'))
    .sort()
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]))
}

/** The cache key of the current sources, packages and settings; no compiling involved. */
export function protocolCacheKey(): string {
  const hash = createHash('sha256').update(JSON.stringify({ versions: versions(), UNITS, SETTINGS }))
  for (const [file, content] of Object.entries(readSources())) hash.update(`\0${file}\0${content}`)
  return hash.digest('hex')
}

/** The committed artifacts file as it is, current or not; undefined when absent or malformed. */
export function readCachedProtocolArtifacts(): ProtocolArtifacts | undefined {
  try {
    const parsed = JSON.parse(readFileSync(artifactsPath(), 'utf8')) as Partial<ProtocolArtifacts>
    return typeof parsed.key === 'string' && typeof parsed.contracts === 'object'
      ? (parsed as ProtocolArtifacts)
      : undefined
  } catch {
    return undefined
  }
}

let memo: ProtocolArtifacts | undefined

/** The artifacts: from artifacts.json when its key is current, else compiled (seconds) and written back. */
export async function loadProtocolArtifacts(opts: { compile?: boolean } = {}): Promise<ProtocolArtifacts> {
  const key = protocolCacheKey()
  if (memo?.key === key) return memo
  const cached = readCachedProtocolArtifacts()
  if (cached?.key === key) {
    memo = cached
    return cached
  }
  if (opts.compile === false)
    throw new Error(`lab: ${artifactsPath()} is stale or missing and compiling is disabled`)
  const compiled = await compileProtocol()
  writeFileSync(artifactsPath(), `${JSON.stringify(compiled, null, 2)}\n`)
  memo = compiled
  return compiled
}

type SolcOutput = {
  errors?: Array<{ severity: string; formattedMessage: string }>
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
}

export async function compileProtocol(): Promise<ProtocolArtifacts> {
  const solc = (await import('solc')).default
  const sources = readSources()
  const findImports = (path: string) => {
    try {
      return { contents: readFileSync(require.resolve(path), 'utf8') }
    } catch (error) {
      return { error: `cannot resolve ${path}: ${String(error)}` }
    }
  }
  const content = (file: string): string => {
    if (sources[file] !== undefined) return sources[file]
    const found = findImports(file)
    if ('error' in found) throw new Error(`lab: ${found.error}`)
    return found.contents
  }
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(UNITS.map((u) => [u.file, { content: content(u.file) }])),
    settings: {
      ...SETTINGS,
      outputSelection: Object.fromEntries(
        UNITS.map((u) => [
          u.file,
          Object.fromEntries(u.contracts.map((c) => [c, ['abi', 'evm.bytecode.object']])),
        ]),
      ),
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length) throw new Error(`lab: solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const contracts: Partial<Record<ProtocolContractName, ProtocolArtifact>> = {}
  for (const u of UNITS)
    for (const name of u.contracts) {
      const out = output.contracts?.[u.file]?.[name]
      if (!out) throw new Error(`lab: solc produced no ${name} from ${u.file}`)
      contracts[name] = { abi: out.abi, bytecode: `0x${out.evm.bytecode.object}` }
    }
  return {
    key: protocolCacheKey(),
    versions: versions(),
    contracts: contracts as Record<ProtocolContractName, ProtocolArtifact>,
  }
}
