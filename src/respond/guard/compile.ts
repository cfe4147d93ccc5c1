import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Abi, Hex } from 'viem'

// Compiling is for developers and for the checks that must compile (the staleness test, the SMTChecker
// run, the mutation check); custos itself uses the committed artifact (artifact.ts) and never needs solc.

const require = createRequire(import.meta.url)

/** The guard's sources, by the names solc sees (CustosGuard.sol imports ./CustosGuardRules.sol). */
export const GUARD_SOURCES = ['CustosGuard.sol', 'CustosGuardRules.sol'] as const
export type GuardSources = Record<(typeof GUARD_SOURCES)[number], string>
/**
 * The SMTChecker harnesses and the contracts in each: one property per contract, and the state machine in a file
 * of its own (CHC decides far more, far faster, on small contracts in small source units).
 */
export const HARNESSES = [
  {
    file: 'formal/CustosGuardRulesCheck.sol',
    contracts: [
      'CancelledNeverPasses',
      'NothingEarlyUnlessApproved',
      'GuardChangeWaitsRemovalDelay',
      'ClearedMeansScheduledLongEnough',
      'OwnersCanAlwaysLeave',
      'SilentGuardianOnlyDelays',
      'Lifecycle',
      'RejectionIsCanonical',
      'SettingsBounds',
      'ReconfigureNeedsClearance',
      'SlotsKept',
    ],
  },
  { file: 'formal/RecordLifecycle.sol', contracts: ['RecordLifecycle'] },
] as const

/**
 * Cancun for transient storage (EIP-1153). The optimizer tuned for runs, not size: the hooks run on every guarded
 * transaction and the guard is deployed once per chain. The metadata hash stays in the bytecode, so the deployed
 * code can be verified from contracts/CustosGuard.sol with exactly these settings.
 */
export const GUARD_SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 1_000_000 },
  viaIR: true,
} as const

export type GuardBuild = {
  /** SHA-256 of the source, the solc version and the settings: what the staleness test compares. */
  key: string
  solc: string
  abi: Abi
  bytecode: Hex
  /** Runtime code with zeros where the immutables go (SELF, the guard's own address). */
  deployedBytecode: Hex
  /** Byte ranges of the immutables in the runtime code, as solc reports them. */
  immutableReferences: Record<string, { start: number; length: number }[]>
}

function packageRoot(): string {
  let dir = import.meta.dirname
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`guard: cannot find the package root above ${import.meta.dirname}`)
    dir = parent
  }
  return dir
}

export const contractsDir = (): string => join(packageRoot(), 'contracts')
export const readGuardSources = (): GuardSources =>
  Object.fromEntries(
    GUARD_SOURCES.map((name) => [name, readFileSync(join(contractsDir(), name), 'utf8')]),
  ) as GuardSources
export const solcVersion = (): string => (require('solc/package.json') as { version: string }).version

export function guardCacheKey(sources: GuardSources = readGuardSources()): string {
  const hash = createHash('sha256').update(JSON.stringify({ solc: solcVersion(), settings: GUARD_SETTINGS }))
  for (const name of GUARD_SOURCES) hash.update(`\0${name}\0${sources[name]}`)
  return hash.digest('hex')
}

type SolcMessage = { severity: string; formattedMessage: string; message: string; errorCode?: string }
type SolcOutput = {
  errors?: SolcMessage[]
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: Abi
        evm: {
          bytecode: { object: string }
          deployedBytecode: {
            object: string
            immutableReferences?: Record<string, { start: number; length: number }[]>
          }
        }
      }
    >
  >
}

type Solc = { compile(input: string, opts?: unknown): string; version(): string }
let solcModule: Solc | undefined
async function loadSolc(): Promise<Solc> {
  // solc's emscripten build takes seconds to start: loaded only when something really compiles.
  solcModule ??= (await import('solc')).default as Solc
  return solcModule
}

const asSolcSources = (sources: Record<string, string>) =>
  Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }]))

/** Compiles the guard (or a mutant of it, for the mutation check) with the npm solc. */
export async function compileGuard(sources: GuardSources = readGuardSources()): Promise<GuardBuild> {
  const solc = await loadSolc()
  const input = {
    language: 'Solidity',
    sources: asSolcSources(sources),
    settings: {
      ...GUARD_SETTINGS,
      outputSelection: {
        'CustosGuard.sol': {
          CustosGuard: [
            'abi',
            'evm.bytecode.object',
            'evm.deployedBytecode.object',
            'evm.deployedBytecode.immutableReferences',
          ],
        },
      },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0)
    throw new Error(`guard: solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const out = output.contracts?.['CustosGuard.sol']?.CustosGuard
  if (!out) throw new Error('guard: solc produced no CustosGuard')
  return {
    key: guardCacheKey(sources),
    solc: solc.version(),
    abi: out.abi,
    bytecode: `0x${out.evm.bytecode.object}`,
    deployedBytecode: `0x${out.evm.deployedBytecode.object}`,
    immutableReferences: out.evm.deployedBytecode.immutableReferences ?? {},
  }
}

export type ModelCheckerResult = {
  /** Per harness contract: how many asserts CHC proved safe, and the messages for those it did not. */
  contracts: Record<string, { proved: number; unproved: string[] }>
  seconds: number
}

/**
 * Runs solc's SMTChecker (CHC engine, assertions only) on the harnesses, which call the guard's own rule library.
 * `modelChecker.timeout` is left unset: setting it makes the emscripten build fail with a thread error.
 */
export async function checkGuardRules(
  rules: string = readGuardSources()['CustosGuardRules.sol'],
  only?: readonly string[],
): Promise<ModelCheckerResult> {
  const solc = await loadSolc()
  const started = performance.now()
  const result: ModelCheckerResult['contracts'] = {}
  for (const all of HARNESSES) {
    const contracts = all.contracts.filter((c) => !only || only.includes(c))
    if (contracts.length === 0) continue
    const harness = { file: all.file, contracts }
    const source = readFileSync(join(contractsDir(), harness.file), 'utf8')
    const input = {
      language: 'Solidity',
      sources: asSolcSources({ 'CustosGuardRules.sol': rules, [harness.file]: source }),
      settings: {
        modelChecker: {
          engine: 'chc',
          targets: ['assert'],
          contracts: { [harness.file]: [...harness.contracts] },
          showProvedSafe: true,
          showUnproved: true,
        },
        outputSelection: {},
      },
    }
    const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
    const messages = (output.errors ?? []) as (SolcMessage & {
      sourceLocation?: { file: string; start: number }
    })[]
    const errors = messages.filter((e) => e.severity === 'error')
    if (errors.length > 0)
      throw new Error(`guard: solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
    // Each message belongs to the harness contract whose source holds it.
    const starts = harness.contracts.map((name) => ({ name, at: source.indexOf(`contract ${name} `) }))
    for (const name of harness.contracts) result[name] = { proved: 0, unproved: [] }
    for (const m of messages) {
      const at = m.sourceLocation?.file === harness.file ? m.sourceLocation.start : undefined
      if (at === undefined) continue
      const name = starts.filter((c) => c.at >= 0 && c.at <= at).sort((x, y) => y.at - x.at)[0]?.name
      const entry = name ? result[name] : undefined
      if (!entry) continue
      if (m.errorCode === '9576') entry.proved += 1
      else if (/^CHC: /.test(m.message)) entry.unproved.push(m.message.split('\n')[0] ?? m.message)
    }
  }
  return { contracts: result, seconds: (performance.now() - started) / 1000 }
}

export const artifactPath = (): string => join(packageRoot(), 'src/respond/guard/artifact.ts')

/**
 * The lab's own contracts, each source compiled to a generated module of src/lab/: the attacks on the guard that
 * its lab tests run, and the do-nothing guard the gas bench measures the custos Guard against.
 */
export const LAB_BUILDS = {
  attacks: {
    source: 'lab/GuardAttacks.sol',
    contracts: ['PopOwnFrameThenUnguard', 'BorrowClearance', 'ClearGuardSlot'],
    module: 'src/lab/guard-attacks.ts',
    name: 'guardAttacks',
    about: 'attacks on the custos Guard that\n// the lab tests run as Safe transaction bodies',
  },
  noop: {
    source: 'lab/NoopGuard.sol',
    contracts: ['NoopGuard'],
    module: 'src/lab/noop-guard.ts',
    name: 'noopGuard',
    about:
      'a transaction guard that does\n// nothing, the floor the gas bench measures the custos Guard against',
  },
} as const
export type LabBuildName = keyof typeof LAB_BUILDS

export const labBuildPath = (name: LabBuildName): string => join(packageRoot(), LAB_BUILDS[name].module)
export const readLabSource = (name: LabBuildName): string =>
  readFileSync(join(contractsDir(), LAB_BUILDS[name].source), 'utf8')
export const labCacheKey = (name: LabBuildName, source: string = readLabSource(name)): string =>
  createHash('sha256')
    .update(JSON.stringify({ solc: solcVersion(), settings: GUARD_SETTINGS }))
    .update(`\0${source}`)
    .digest('hex')
export const attacksCacheKey = (source?: string): string => labCacheKey('attacks', source)

export type LabBuild = { key: string; contracts: Record<string, { abi: Abi; bytecode: Hex }> }

/** Compiles one of the lab's sources (LAB_BUILDS) with the guard's settings. */
export async function compileLab(
  name: LabBuildName,
  source: string = readLabSource(name),
): Promise<LabBuild> {
  const { source: file, contracts: names } = LAB_BUILDS[name]
  const solc = await loadSolc()
  const input = {
    language: 'Solidity',
    sources: asSolcSources({ [file]: source }),
    settings: {
      ...GUARD_SETTINGS,
      outputSelection: { [file]: { '*': ['abi', 'evm.bytecode.object'] } },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0)
    throw new Error(`guard: solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const contracts = Object.fromEntries(
    names.map((contract) => {
      const out = output.contracts?.[file]?.[contract]
      if (!out) throw new Error(`guard: solc produced no ${contract}`)
      return [contract, { abi: out.abi, bytecode: `0x${out.evm.bytecode.object}` as Hex }]
    }),
  )
  return { key: labCacheKey(name, source), contracts }
}

export function renderLab(name: LabBuildName, build: LabBuild): string {
  const b = LAB_BUILDS[name]
  return [
    `// Generated by \`npm run compile:guard\` from contracts/${b.source}: ${b.about}. Do not edit.`,
    `export const ${b.name} = ${JSON.stringify(build, null, 2)} as const`,
    '',
  ].join('\n')
}

/** The TypeScript module holding the committed build: the ABI `as const`, so that viem types every call. */
export function renderArtifact(build: GuardBuild): string {
  return [
    '// Generated by `npm run compile:guard` from contracts/CustosGuard.sol (settings in compile.ts). Do not edit:',
    '// the staleness test compares `key` with the source, and the deployed address follows from `bytecode`.',
    `export const guardArtifact = ${JSON.stringify(
      {
        key: build.key,
        solc: build.solc,
        abi: build.abi,
        bytecode: build.bytecode,
        deployedBytecode: build.deployedBytecode,
        immutableReferences: build.immutableReferences,
      },
      null,
      2,
    )} as const`,
    '',
  ].join('\n')
}
