import { ConfigError } from '../config/load.js'
import { createRuntime, environmentIssues } from '../pipeline.js'
import type { Io } from './io.js'

/** `custos config check`: exit 0 when valid, 2 with one path-qualified line per problem otherwise. */
export function configCheckCommand(opts: { config?: string }, io: Io): number {
  const source = opts.config ?? '(defaults)'
  try {
    const rt = createRuntime(opts.config)
    const missing = environmentIssues(rt, io.env)
    if (missing.length) throw new ConfigError(source, missing)
    const chains = Object.keys(rt.config.chains).length
    const n = rt.config.notify
    const channels = [
      ...(n.console.enabled ? ['console'] : []),
      ...n.webhooks.map((w) => `webhook:${w.name}`),
      ...(n.discord ? ['discord'] : []),
      ...n.slack.map((x) => `slack:${x.name}`),
      ...(n.telegram ? ['telegram'] : []),
      ...(n.pagerduty ? ['pagerduty'] : []),
    ]
    io.stdout.write(
      `${source}: valid (${chains} chain${chains === 1 ? '' : 's'}, ${rt.config.safes.length} Safe${rt.config.safes.length === 1 ? '' : 's'} watched, ${rt.config.addressBook.length} address book entries, ${rt.guards.length} guards enabled; alerts to ${channels.join(', ') || 'nowhere'}; ${rt.config.signers.length} signer${rt.config.signers.length === 1 ? '' : 's'})\n`,
    )
    return 0
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.stderr.write(`${source}: invalid\n${error.issues.map((i) => `  ${i}`).join('\n')}\n`)
    return 2
  }
}
