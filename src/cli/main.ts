import { readFileSync } from 'node:fs'
import { Command, CommanderError, Option } from 'commander'
import { CustosError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'
import { configCheckCommand } from './config-check.js'
import { guardsCommand } from './guards-list.js'
import { inspectCommand } from './inspect.js'
import { type Io, processIo } from './io.js'

// Two levels up from src/cli in the sources, three from dist/src/cli once built.
const pkg = (() => {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const json = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'))
      if (json.name === 'custos') return json as { version: string }
    } catch {
      // try the next candidate
    }
  }
  return { version: '0.0.0' }
})()

/** Runs the CLI; resolves to the exit code instead of exiting, so tests can call it in-process. */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  let code = 0
  const debug = argv.includes('--debug')
  const program = new Command()
    .name('custos')
    .description('Verify, simulate and judge Safe transactions and DAO proposals before signers trust them.')
    .version(pkg.version, '-V, --version')
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)')

  program
    .command('inspect')
    .description(
      'Check one Safe transaction, governor proposal or timelock operation without trusting any UI or API: recompute its hashes, decode the raw calldata, recover the signatures, simulate it (--simulate) and run the guards.',
    )
    .option('--file <path>', 'a transaction as the Safe Transaction Service returns it (JSON); - reads stdin')
    .option('--safe <address>', 'fetch every transaction of this Safe at --nonce from a transaction service')
    .option('--nonce <n>', 'with --safe: the nonce to inspect')
    .option(
      '--governor <address>',
      'a governor (OpenZeppelin or Bravo): inspect its --proposal (needs --rpc)',
    )
    .option('--proposal <id>', 'with --governor: the proposal id')
    .option('--timelock <address>', 'a TimelockController: inspect its --operation (needs --rpc)')
    .option('--operation <id>', 'with --timelock: the operation id (bytes32)')
    .option(
      '--lookback <blocks>',
      'with --governor or --timelock: how far back to look for the proposal or operation (default 1000000)',
    )
    .option('--chain-id <n>', 'chain id (required without --rpc; checked against the node with it)')
    .option('--safe-version <v>', 'Safe version such as 1.3.0 or 1.4.1+L2 (required without --rpc)')
    .option(
      '--rpc <url>',
      "read chain id, VERSION(), owners, threshold and nonce from this node (default: the config's RPC for --chain-id)",
    )
    .option(
      '--simulate',
      'also run the exact signed transaction on a fork of the RPC and judge its effects (needs an RPC)',
    )
    .addOption(
      new Option(
        '--simulation-mode <mode>',
        "fork: a local anvil fork of the RPC; direct: the RPC node traces it itself (default: the config's simulation.mode)",
      ).choices(['fork', 'direct']),
    )
    .option('--fork-block <n>', 'simulate on a fork of this block instead of the latest')
    .option(
      '--tx-service <url>',
      "transaction service base URL ending in /api (default: Safe's hosted service)",
    )
    .option('--api-key-env <name>', 'environment variable holding the transaction service API key')
    .option('--config <file>', 'YAML configuration (address book, tokens, ABIs, guard options)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(
      new Option(
        '--fail-on <level>',
        "exit 1 when the risk is at or above this level (default: the config's failOn, high)",
      ).choices(['none', 'info', 'low', 'medium', 'high', 'critical']),
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 risk below --fail-on · 1 risk at or above it · 2 bad input or runtime error.

Examples:
  custos inspect --file tx.json --chain-id 1 --safe-version 1.3.0
  curl -s "$SERVICE/api/v2/multisig-transactions/$HASH/" | custos inspect --file - --rpc "$RPC_URL"
  custos inspect --safe 0xSafe --nonce 42 --chain-id 1 --api-key-env SAFE_API_KEY --rpc "$RPC_URL"
  custos inspect --governor 0xGovernor --proposal 289 --rpc "$RPC_URL" --simulate
  custos inspect --timelock 0xTimelock --operation 0x…id --rpc "$RPC_URL" --simulate`,
    )
    .action(async (opts) => {
      code = await inspectCommand(opts, io)
    })

  const config = program.command('config').description('Work with the configuration file.')
  config
    .command('check')
    .description('Validate a configuration file (and that the environment variables it names are set).')
    .option('--config <file>', 'the YAML file to check (default: built-in defaults)')
    .action((opts) => {
      code = configCheckCommand(opts, io)
    })

  program
    .command('run')
    .description(
      "Run the guard: watch the configured Safes (transaction service and chain), governors and timelocks, check every new or changed proposal, evaluate the protocols' checks every block, store reports, send alerts, escalate, and veto (or pause) where the policy says so. Stops cleanly on SIGTERM.",
    )
    .requiredOption(
      '--config <file>',
      'YAML configuration with `chains`, `safes` / `governors` / `timelocks` / `protocols`, where to alert, and the policy',
    )
    .addHelpText(
      'after',
      `
It serves /healthz, /readyz, /metrics and /reports/:id on server.host:server.port (127.0.0.1:8080 by default),
keeps its state in dataDir (a SQLite file; one custos per data directory: a second exits 2),
and logs JSON to stderr.`,
    )
    .action(async (opts) => {
      const { runCommand } = await import('./run.js')
      code = await runCommand(opts, io)
    })

  program
    .command('check')
    .description(
      'Run every check of the configured protocols once (price feeds, pause states, roles, the pause path, invariants) and print the results, to try a configuration before `custos run` watches it. Nothing is stored, alerted or sent.',
    )
    .requiredOption('--config <file>', 'YAML configuration with `chains` and `protocols`')
    .option('--protocol <name>', 'only this protocol (its name or address)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Exit codes: 0 every check passes · 1 a check is broken · 2 bad input or runtime error.

Example:
  custos check --config custos.yaml --protocol "Lending market"`,
    )
    .action(async (opts) => {
      const { checkCommand } = await import('./check.js')
      code = await checkCommand(opts, io)
    })

  program
    .command('demo')
    .description(
      'Start a local chain with a Safe (the lab), the transaction service emulator and custos watching them, then propose four transactions, benign and malicious, as owners would; custos reports each on the console with a report page. Needs nothing but npm ci.',
    )
    .option('--keep', 'keep the lab and custos running after the scenario (stop with Ctrl-C)')
    .action(async (opts) => {
      // Loaded on demand: the lab pulls in protocol-kit, which `inspect` does not need.
      const { demoCommand } = await import('./demo.js')
      code = await demoCommand(opts, io)
    })

  program
    .command('guards')
    .description('List the guards: id, worst severity, what each catches, and its default options.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((opts) => {
      code = guardsCommand(opts, io)
    })

  const guard = program
    .command('guard')
    .description(
      'The custos Guard, a Safe transaction guard (and module guard on 1.5.0): what runs at once only if the guardian approved it, waits a delay it can cancel otherwise, and can always be removed by the owners after removalDelay. See docs/guard.md.',
    )
  guard
    .command('deploy')
    .description(
      'Deploy the guard at its deterministic address (the same on every chain) through the deterministic deployment proxy; without a key, print the transaction to send.',
    )
    .option('--rpc <url>', 'the chain to deploy on')
    .option('--key-env <name>', 'environment variable holding the deployer key', 'CUSTOS_DEPLOYER_KEY')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts) => {
      const { guardDeployCommand } = await import('./guard.js')
      code = await guardDeployCommand(opts, io)
    })
  guard
    .command('enable')
    .description(
      'Print the Safe transaction that turns the guard on (configure the guard, setGuard, and setModuleGuard on 1.5.0, as one MultiSendCallOnly batch) with its three hashes, ready to propose and sign. Signs nothing.',
    )
    .option('--safe <address>', 'the Safe')
    .option('--guardian <address>', 'the account that approves and cancels (custos veto key)')
    .option('--delay <duration>', 'how long a scheduled transaction waits, e.g. 1h (at most 30d)')
    .option(
      '--removal-delay <duration>',
      'how long a guard removal or settings change waits, e.g. 7d (at least --delay, at most 30d)',
    )
    .option('--module <address...>', 'Safe 1.5.0: modules whose transactions pass without approval')
    .option(
      '--rpc <url>',
      'read chain id, Safe version and nonce from this node (and check the guard is deployed)',
    )
    .option('--chain-id <n>', 'without --rpc: the chain id')
    .option('--safe-version <v>', 'without --rpc: the Safe version (1.3.0, 1.4.1 or 1.5.0)')
    .option('--nonce <n>', "the nonce to use (default with --rpc: the Safe's current nonce)")
    .option(
      '--multisend-call-only <address>',
      'MultiSendCallOnly to batch through (default: the official one)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Example:
  custos guard enable --safe 0xSafe --guardian 0xVetoKey --delay 1h --removal-delay 7d --rpc "$RPC_URL"`,
    )
    .action(async (opts) => {
      const { guardEnableCommand } = await import('./guard.js')
      code = await guardEnableCommand(opts, io)
    })
  guard
    .command('status')
    .description(
      'Show whether a Safe runs the guard, its settings, and (with --tx) what the guard holds for a safeTxHash.',
    )
    .option('--safe <address>', 'the Safe')
    .option('--rpc <url>', 'the chain to read')
    .option('--tx <safeTxHash>', 'also show approved / scheduled / cancelled for this safeTxHash')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts) => {
      const { guardStatusCommand } = await import('./guard.js')
      code = await guardStatusCommand(opts, io)
    })

  try {
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    const message =
      error instanceof CustosError
        ? error.message
        : `internal error: ${error instanceof Error ? error.message : String(error)}`
    io.stderr.write(`custos: ${redactUrls(message)}\n`)
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${redactUrls(error.stack)}\n`)
    return 2
  }
}
