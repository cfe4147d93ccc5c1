import { runIssues } from '../config/check.js'
import { ConfigError } from '../config/load.js'
import { createRuntime } from '../pipeline.js'
import type { Io } from './io.js'

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`

/**
 * `custos config check`: exit 0 when `custos run` (and inspect) would accept the file, 2 with one
 * path-qualified line per problem otherwise. `--offline` skips what depends on the machine custos
 * will run on (environment variables, the data directory), e.g. in CI.
 */
export function configCheckCommand(opts: { config?: string; offline?: boolean }, io: Io): number {
  const source = opts.config ?? '(defaults)'
  try {
    const rt = createRuntime(opts.config)
    const { config } = rt
    const issues = runIssues(config, io.env, { offline: opts.offline === true })
    if (issues.length) throw new ConfigError(source, issues)
    const n = config.notify
    const channels = [
      ...(n.console.enabled ? ['console'] : []),
      ...n.webhooks.map((w) => `webhook:${w.name}`),
      ...(n.discord ? ['discord'] : []),
      ...n.slack.map((x) => `slack:${x.name}`),
      ...(n.telegram ? ['telegram'] : []),
      ...(n.pagerduty ? ['pagerduty'] : []),
    ]
    const watched = config.safes.length + config.governors.length + config.timelocks.length
    io.stdout.write(
      `${source}: valid (${plural(Object.keys(config.chains).length, 'chain')}, ${plural(config.safes.length, 'Safe')} watched, ${plural(config.governors.length, 'governor')}, ${plural(config.timelocks.length, 'timelock')}, ${config.addressBook.length} address book entries, ${rt.guards.length} guards enabled; alerts to ${channels.join(', ') || 'nowhere'}; ${plural(config.signers.length, 'signer')})\n`,
    )
    if (opts.config)
      io.stdout.write(`  dataDir: ${config.dataDir} (relative paths are relative to the config file)\n`)
    if (opts.offline)
      io.stdout.write('  offline: environment variables and the data directory were not checked\n')
    if (watched === 0)
      io.stdout.write(
        '  note: nothing to watch; custos run needs `safes`, `governors` or `timelocks` (inspect does not)\n',
      )
    return 0
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.stderr.write(`${source}: invalid\n${error.issues.map((i) => `  ${i}`).join('\n')}\n`)
    return 2
  }
}
