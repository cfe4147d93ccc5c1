import { GUARDS } from '../../guards/index.js'
import { configJsonSchema, configReference } from '../config/docs.js'
import { InputError } from '../model/errors.js'
import { plain } from '../model/report-json.js'
import type { Io } from './io.js'

/** `custos config docs`: the configuration reference (docs/configuration.md), or a JSON Schema. */
export function configDocsCommand(opts: { format: string }, io: Io): number {
  if (opts.format === 'json-schema') {
    io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`)
    return 0
  }
  if (opts.format !== 'markdown')
    throw new InputError(`--format must be markdown or json-schema, not "${opts.format}"`)
  const guards = GUARDS.map((g) => ({
    id: g.meta.id,
    description: g.meta.description,
    defaults: plain(g.options.parse({})) as Record<string, unknown>,
  }))
  io.stdout.write(configReference(guards))
  return 0
}
