import { Command, CommanderError, Option } from 'commander'
import { CustosError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'
import { configCheckCommand } from './config-check.js'
import { guardsCommand } from './guards-list.js'
import { inspectCommand } from './inspect.js'
import { type Io, processIo } from './io.js'
import { packageVersion } from './version.js'

/** Runs the CLI; resolves to the exit code instead of exiting, so tests can call it in-process. */
/** `stop`: a stop asked for before this module loaded (bin/custos.js listens from its start). */
export async function run(argv: string[], io: Io = processIo(), stop?: AbortSignal): Promise<number> {
  let code = 0
  const debug = argv.includes('--debug')
  const program = new Command()
    .name('custos')
    .description('Verify, simulate and judge Safe transactions and DAO proposals before signers trust them.')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)')

  program
    .command('inspect')
    .description(
      'Check one Safe transaction, governor proposal or timelock operation without trusting any UI or API: recompute its hashes, decode the raw calldata, recover the signatures, simulate it (--simulate) and run the guards.',
    )
    .option(
      '--file <path>',
      'a transaction as the Safe Transaction Service returns it (JSON), or wrapped as { "tx": … } with chainId and safeVersion; - reads stdin',
    )
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

  const collect = (value: string, previous: string[]) => [...previous, value]
  program
    .command('init')
    .description(
      'Write a configuration for your Safes, governors and timelocks, read from the chain: owners, threshold, modules, guard and fallback handler pinned as `expected`, the RPC as an environment variable.',
    )
    .option('--safe <address>', 'a Safe to watch (repeat for several)', collect, [])
    .option('--governor <address>', 'a governor (OpenZeppelin or Bravo) to watch (repeatable)', collect, [])
    .option('--timelock <address>', 'a TimelockController to watch (repeatable)', collect, [])
    .option('--chain-id <n>', 'the chain they are on (checked against the RPC)')
    .option('--rpc <url>', 'an RPC URL to read them from; it is not written to the file')
    .option(
      '--rpc-env <name>',
      'the environment variable the config reads the RPC URL from (default RPC_URL_<chain id>)',
    )
    .option(
      '--tx-service <url>',
      "transaction service base URL ending in /api (default: Safe's hosted service)",
    )
    .option(
      '--api-key-env <name>',
      'environment variable with the transaction service API key (default SAFE_API_KEY for the hosted service)',
    )
    .option(
      '--name <name>',
      'names for the Safes, then the governors, then the timelocks, in order (repeatable; default "Safe 0x1234…abcd")',
      collect,
      [],
    )
    .option('--out <file>', 'where to write the configuration', 'custos.yaml')
    .option('--force', 'overwrite --out if it exists')
    .addHelpText(
      'after',
      `
Example:
  custos init --safe 0xYourSafe --chain-id 1 --rpc "$RPC_URL" --api-key-env SAFE_API_KEY
It prints the environment variables to set and the next commands (config check, run).`,
    )
    .action(async (opts) => {
      const { initCommand } = await import('./init.js')
      code = await initCommand(opts, io)
    })

  const config = program.command('config').description('Work with the configuration file.')
  config
    .command('check')
    .description(
      "Validate a configuration file: everything custos run checks before it starts (the file, the guards' options, a chain for every watched address, duplicates, keys written in RPC URLs, the environment variables it names, the data directory).",
    )
    .option('--config <file>', 'the YAML file to check (default: built-in defaults)')
    .option(
      '--offline',
      'skip what depends on the machine custos runs on: environment variables and the data directory',
    )
    .action((opts) => {
      code = configCheckCommand(opts, io)
    })

  config
    .command('docs')
    .description(
      'Print the configuration reference generated from the schema (docs/configuration.md), or a JSON Schema.',
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['markdown', 'json-schema'])
        .default('markdown'),
    )
    .action(async (opts) => {
      const { configDocsCommand } = await import('./config-docs.js')
      code = configDocsCommand(opts, io)
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
keeps its state in dataDir (a SQLite file, relative to the config file; one custos per data directory:
a second exits 2) or, with store.driver: postgres, in a PostgreSQL database that any number of replicas
share (each source led by one of them; see custos status), and logs JSON to stderr.
A configuration or environment problem stops it at once, exit 2 (custos config check finds the same).
SIGTERM or SIGINT: it finishes the work in flight and exits 0; 1 if a step of stopping failed (logged).
bin/custos.js caps V8's heap (--max-old-space-size=160 --max-semi-space-size=8); NODE_OPTIONS with
--max-old-space-size sets your own (docs/operations.md).
Start with: custos init --safe ADDRESS --chain-id N --rpc URL (writes custos.yaml).`,
    )
    .action(async (opts) => {
      const { runCommand } = await import('./run.js')
      code = await runCommand(opts, io, stop)
    })

  program
    .command('status')
    .description(
      'Show what the store says: the replicas sharing it and the sources each leads (PostgreSQL), the scan cursors, pending proposals and alerts waiting to be sent.',
    )
    .requiredOption('--config <file>', 'the YAML configuration of `custos run` (its `store` is read)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts) => {
      const { statusCommand } = await import('./status.js')
      code = await statusCommand(opts, io)
    })

  program
    .command('store')
    .description('Work with the store.')
    .command('migrate')
    .description(
      'Copy an SQLite store (custos stopped) into an empty PostgreSQL database, the one store.url names (DATABASE_URL by default), to run replicas on it.',
    )
    .requiredOption('--from <sqlite:FILE>', 'the SQLite store, e.g. sqlite:.data/custos.db')
    .requiredOption('--to <postgres>', 'postgres')
    .option('--config <file>', 'the YAML configuration whose store.url names the database')
    .action(async (opts) => {
      const { storeMigrateCommand } = await import('./store-migrate.js')
      code = await storeMigrateCommand(opts, io)
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
      "Start a local chain with a Safe that runs the custos Guard (the lab), the transaction service emulator and custos watching them as the guard's guardian, then propose four transactions, benign and malicious, as owners would; custos reports each on the console with a report page, approves the benign one on the guard (it runs at once) and stops the Bybit-style attack on-chain. Needs nothing but npm ci.",
    )
    .option(
      '--keep',
      "keep the lab, the emulator and custos running after the scenario (stop with Ctrl-C); prints the report links, the lab's export lines for custos init, and how to propose more transactions",
    )
    .addHelpText(
      'after',
      `
Environment (optional): with DISCORD_TOKEN and DISCORD_CHANNEL_ID the alerts go to Discord instead of the console.
  DISCORD_TOKEN        the bot token custos logs in with
  DISCORD_CHANNEL_ID   the channel the alerts are posted to
  DISCORD_SIGNER_IDS   comma-separated Discord user ids, made the demo Safe's owners A, B, C, so their button presses count
  DISCORD_GUILD_ID     registers the /custos commands in this guild, where they appear at once
  DISCORD_API_URL      a REST API base other than Discord's own (a proxy, or a fake in tests)`,
    )
    .action(async (opts) => {
      // Loaded on demand: the lab pulls in protocol-kit, which `inspect` does not need.
      const { demoCommand } = await import('./demo.js')
      code = await demoCommand(opts, io)
    })

  program
    .command('guards')
    .description(
      'List the guards: id, worst severity, what each catches, its finding codes (each with its worst severity: what policy.findings may name) and its default options.',
    )
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
