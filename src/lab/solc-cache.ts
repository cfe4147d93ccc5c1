import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Abi, Hex } from 'viem'

const require = createRequire(import.meta.url)

// Solidity the lab compiles with the npm solc (its soljson is bundled: no download) and caches in
// a committed artifacts.json, keyed by the sources, the compiler and OZ versions and the settings.
// A test fails when the cache is stale; tests never compile.

export type SolcUnit = { file: string; contracts: readonly string[] }
export type SolcArtifact = { abi: Abi; bytecode: Hex }
export type SolcArtifacts<Name extends string> = {
  /** SHA-256 of the sources, the solc and OZ versions and the compiler settings. */
  key: string
  solc: string
  openzeppelin: string
  contracts: Record<Name, SolcArtifact>
}
export type SolcCache<Name extends string> = {
  /** The folder (under src/, also when running dist/) with the .sol files and artifacts.json. */
  dir: string
  /** The cache key of the current sources: no compiling involved. */
  key(): string
  /** artifacts.json as it is, current or not; undefined when absent or malformed. */
  cached(): SolcArtifacts<Name> | undefined
  /** The artifacts: from the cache when current, else compiled (seconds) and written back. */
  load(opts?: { compile?: boolean }): Promise<SolcArtifacts<Name>>
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

const version = (pkg: string): string => (require(`${pkg}/package.json`) as { version: string }).version

type SolcOutput = {
  errors?: Array<{ severity: string; formattedMessage: string }>
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
}

export function createSolcCache<Name extends string>(opts: {
  /** Relative to the package root, e.g. `src/lab/tokens`. */
  dir: string
  units: readonly SolcUnit[]
  evmVersion: 'shanghai' | 'cancun'
}): SolcCache<Name> {
  const dir = join(packageRoot(), opts.dir)
  const artifactsPath = join(dir, 'artifacts.json')
  const settings = { evmVersion: opts.evmVersion, optimizer: { enabled: true, runs: 200 } }
  const readSources = (): Record<string, string> =>
    Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith('.sol'))
        .sort()
        .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
    )
  const key = (): string => {
    const hash = createHash('sha256')
    hash.update(
      JSON.stringify({
        solc: version('solc'),
        oz: version('@openzeppelin/contracts'),
        units: opts.units,
        settings,
      }),
    )
    for (const [file, content] of Object.entries(readSources())) hash.update(`\0${file}\0${content}`)
    return hash.digest('hex')
  }
  const cached = (): SolcArtifacts<Name> | undefined => {
    try {
      const parsed = JSON.parse(readFileSync(artifactsPath, 'utf8')) as Partial<SolcArtifacts<Name>>
      return typeof parsed.key === 'string' && typeof parsed.contracts === 'object' && parsed.contracts
        ? (parsed as SolcArtifacts<Name>)
        : undefined
    } catch {
      return undefined
    }
  }
  const compile = async (): Promise<SolcArtifacts<Name>> => {
    // Loaded lazily: solc's emscripten build takes a while to start and the cache makes it moot.
    const solc = (await import('solc')).default
    const sources = readSources()
    const findImports = (path: string) => {
      try {
        return { contents: readFileSync(require.resolve(path), 'utf8') }
      } catch (error) {
        return { error: `cannot resolve ${path}: ${String(error)}` }
      }
    }
    const input = {
      language: 'Solidity',
      sources: Object.fromEntries(opts.units.map((u) => [u.file, { content: sources[u.file] ?? '' }])),
      settings: {
        ...settings,
        outputSelection: Object.fromEntries(
          opts.units.map((u) => [
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
    const contracts: Partial<Record<Name, SolcArtifact>> = {}
    for (const u of opts.units) {
      for (const name of u.contracts) {
        const out = output.contracts?.[u.file]?.[name]
        if (!out) throw new Error(`lab: solc produced no ${name} from ${u.file}`)
        contracts[name as Name] = { abi: out.abi, bytecode: `0x${out.evm.bytecode.object}` }
      }
    }
    return {
      key: key(),
      solc: version('solc'),
      openzeppelin: version('@openzeppelin/contracts'),
      contracts: contracts as Record<Name, SolcArtifact>,
    }
  }
  let memo: SolcArtifacts<Name> | undefined
  return {
    dir,
    key,
    cached,
    async load({ compile: allowed = true } = {}) {
      const current = key()
      if (memo?.key === current) return memo
      const hit = cached()
      if (hit?.key === current) {
        memo = hit
        return hit
      }
      if (!allowed) throw new Error(`lab: ${artifactsPath} is stale or missing and compiling is disabled`)
      const compiled = await compile()
      writeFileSync(artifactsPath, `${JSON.stringify(compiled, null, 2)}\n`)
      memo = compiled
      return compiled
    },
  }
}
