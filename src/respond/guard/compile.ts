import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Abi, Hex } from 'viem'

// Compiling is for developers and for the checks that must compile (the staleness test, the SMTChecker
// run, the mutation check); custos itself uses the committed artifact (artifact.ts) and never needs solc.

const require = createRequire(import.meta.url)

export const GUARD_SOURCE_NAME = 'CustosGuard.sol'
export const GUARD_HARNESS_NAME = 'CustosGuardModel.sol'

/**
 * Cancun for transient storage (EIP-1153). The metadata hash stays in the bytecode, so the deployed code can be
 * verified from contracts/CustosGuard.sol with exactly these settings.
 */
export const GUARD_SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 10_000 },
  viaIR: false,
} as const

export type GuardBuild = {
  /** SHA-256 of the source, the solc version and the settings: what the staleness test compares. */
  key: string
  solc: string
  abi: Abi
  bytecode: Hex
  deployedBytecode: Hex
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
export const readGuardSource = (): string => readFileSync(join(contractsDir(), GUARD_SOURCE_NAME), 'utf8')
export const solcVersion = (): string => (require('solc/package.json') as { version: string }).version

export function guardCacheKey(source: string = readGuardSource()): string {
  return createHash('sha256')
    .update(JSON.stringify({ solc: solcVersion(), settings: GUARD_SETTINGS }))
    .update(`\0${source}`)
    .digest('hex')
}

type SolcMessage = { severity: string; formattedMessage: string; message: string; errorCode?: string }
type SolcOutput = {
  errors?: SolcMessage[]
  contracts?: Record<
    string,
    Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >
}

type Solc = { compile(input: string, opts?: unknown): string; version(): string }
let solcModule: Solc | undefined
async function loadSolc(): Promise<Solc> {
  // solc's emscripten build takes seconds to start: loaded only when something really compiles.
  solcModule ??= (await import('solc')).default as Solc
  return solcModule
}

/** Compiles the guard (or a mutant of it, for the mutation check) with the npm solc. */
export async function compileGuard(source: string = readGuardSource()): Promise<GuardBuild> {
  const solc = await loadSolc()
  const input = {
    language: 'Solidity',
    sources: { [GUARD_SOURCE_NAME]: { content: source } },
    settings: {
      ...GUARD_SETTINGS,
      outputSelection: {
        [GUARD_SOURCE_NAME]: { CustosGuard: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`guard: solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const out = output.contracts?.[GUARD_SOURCE_NAME]?.CustosGuard
  if (!out) throw new Error('guard: solc produced no CustosGuard')
  return {
    key: guardCacheKey(source),
    solc: solc.version(),
    abi: out.abi,
    bytecode: `0x${out.evm.bytecode.object}`,
    deployedBytecode: `0x${out.evm.deployedBytecode.object}`,
  }
}

export type ModelCheckerResult = {
  /** Assertions CHC proved, as "file:line: text". */
  proved: string[]
  /** Assertions CHC refuted (a counterexample) or could not decide, with solc's message. */
  unproved: string[]
  /** Every message solc returned, for the record. */
  messages: SolcMessage[]
}

/**
 * Runs solc's SMTChecker (CHC engine, assertions only) on the harness, which imports the guard's rules.
 * `modelChecker.timeout` is left unset: setting it makes the emscripten build fail with a thread error.
 */
export async function checkGuardModel(
  guardSource: string = readGuardSource(),
  harnessSource: string = readFileSync(join(contractsDir(), 'formal', GUARD_HARNESS_NAME), 'utf8'),
): Promise<ModelCheckerResult> {
  const solc = await loadSolc()
  const harnessPath = `formal/${GUARD_HARNESS_NAME}`
  const input = {
    language: 'Solidity',
    sources: { [GUARD_SOURCE_NAME]: { content: guardSource }, [harnessPath]: { content: harnessSource } },
    settings: {
      evmVersion: GUARD_SETTINGS.evmVersion,
      modelChecker: {
        engine: 'chc',
        targets: ['assert'],
        contracts: { [harnessPath]: ['CustosGuardModel'] },
        showProvedSafe: true,
        showUnproved: true,
      },
      outputSelection: {},
    },
  }
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (path: string) =>
        path === GUARD_SOURCE_NAME || path === `formal/../${GUARD_SOURCE_NAME}` || path.endsWith(`/${GUARD_SOURCE_NAME}`)
          ? { contents: guardSource }
          : { error: `not found: ${path}` },
    }),
  ) as SolcOutput
  const messages = output.errors ?? []
  const errors = messages.filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`guard: solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const proved: string[] = []
  const unproved: string[] = []
  for (const m of messages) {
    if (m.errorCode === '9576' || /proved safe/i.test(m.message)) proved.push(m.formattedMessage.trim())
    else if (/CHC:/.test(m.message)) unproved.push(m.formattedMessage.trim())
  }
  return { proved, unproved, messages }
}

export const artifactPath = (): string => join(packageRoot(), 'src/respond/guard/artifact.ts')

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
      },
      null,
      2,
    )} as const`,
    '',
  ].join('\n')
}
