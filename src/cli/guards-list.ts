import { GUARDS } from '../../guards/index.js'
import { worstSeverity } from '../model/guard.js'
import { plain } from '../model/report-json.js'
import type { Io } from './io.js'

/**
 * `custos guards`: every guard with its id, worst severity, description, finding codes (what
 * `policy.findings` may name) and default options.
 */
export function guardsCommand(opts: { format: string }, io: Io): number {
  const rows = GUARDS.map((g) => ({
    id: g.meta.id,
    maxSeverity: worstSeverity(g.meta),
    codes: g.meta.codes,
    appliesTo: g.meta.appliesTo,
    needsSimulation: g.meta.needsSimulation,
    description: g.meta.description,
    defaults: g.options.parse({}),
  }))
  if (opts.format === 'json') {
    io.stdout.write(`${JSON.stringify(plain(rows), null, 2)}\n`)
    return 0
  }
  for (const r of rows) {
    io.stdout.write(`${r.id.padEnd(24)} ${r.maxSeverity.padEnd(9)} ${r.description}\n`)
    const codes = Object.entries(r.codes).map(([code, worst]) => `${code} (${worst})`)
    io.stdout.write(`${''.padEnd(34)}codes: ${codes.join(', ')}\n`)
    const defaults = JSON.stringify(plain(r.defaults))
    if (defaults !== '{}') io.stdout.write(`${''.padEnd(34)}options: ${defaults}\n`)
  }
  return 0
}
