import type { Writable } from 'node:stream'
import type { Level } from '../model/severity.js'
import type { Notifier } from './notifier.js'

const COLOURS: Record<Level, string> = {
  none: '32',
  info: '36',
  low: '34',
  medium: '33',
  high: '31',
  critical: '1;41;97',
}

/** Alerts as readable blocks on a stream, coloured when it is a terminal. */
export function createConsoleNotifier(opts: {
  stream: Writable & { isTTY?: boolean }
  minLevel: Level
  colour?: boolean
}): Notifier {
  const colour = opts.colour ?? Boolean(opts.stream.isTTY)
  const paint = (code: string, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s)
  return {
    channel: 'console',
    minLevel: opts.minLevel,
    // Updates and escalation notices are one line each: a terminal cannot edit what it printed.
    accepts: () => true,
    async deliver(alert) {
      if (alert.kind === 'update') {
        opts.stream.write(`${paint('2', `  ${alert.proposalId}:`)} ${alert.text}\n\n`)
        return undefined
      }
      if (alert.kind === 'escalation') {
        const who = alert.signers.map((s) => s.name).join(', ') || 'the signers'
        const what = alert.stage === 'page' ? 'paging on-call' : `calling ${who}`
        opts.stream.write(
          `${paint(COLOURS[alert.level], ` ESCALATION ${alert.round} `)} ${alert.title}: unacknowledged for ${Math.round(alert.unacknowledgedSeconds / 60)} min, ${what}\n\n`,
        )
        return undefined
      }
      const lines = [
        `${paint(COLOURS[alert.level], ` ${alert.level.toUpperCase()} `)} ${paint('1', alert.title)}`,
        `  ${alert.summary}`,
      ]
      if (alert.hashes) lines.push(paint('2', `  safeTxHash ${alert.hashes.safeTxHash}`))
      for (const c of alert.safeChanges ?? []) lines.push(`  Safe: ${c}`)
      for (const c of alert.assetChanges ?? []) lines.push(`  moves: ${c}`)
      for (const f of alert.findings.slice(0, 5))
        lines.push(`  ${f.severity.padEnd(8)} ${f.guard}/${f.code}: ${f.message}`)
      if (alert.findings.length > 5) lines.push(paint('2', `  … ${alert.findings.length - 5} more findings`))
      if (alert.link) lines.push(`  report: ${alert.link}`)
      opts.stream.write(`${lines.join('\n')}\n\n`)
      return undefined
    },
  }
}
