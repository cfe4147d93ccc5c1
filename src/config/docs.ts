import { z } from 'zod'
import { configSchema } from './schema.js'

// The configuration reference, generated from the schema (its descriptions and defaults), so
// that the documentation cannot drift from what custos accepts. docs/configuration.md is the
// output of `custos config docs`; a test keeps it so.

type Js = {
  type?: string
  description?: string
  default?: unknown
  enum?: unknown[]
  const?: unknown
  format?: string
  pattern?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  minLength?: number
  properties?: Record<string, Js>
  required?: string[]
  items?: Js
  additionalProperties?: Js | boolean
  propertyNames?: Js
  anyOf?: Js[]
}

/** The configuration as a JSON Schema (draft 2020-12), for editors and validators. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
}

export type GuardDoc = { id: string; description: string; defaults: Record<string, unknown> }

const INTRO = `# Configuration reference

One YAML file, validated by a zod schema (\`src/config/schema.ts\`); this page is generated from
it by \`custos config docs\` (\`--format json-schema\` gives a JSON Schema for editors).
\`custos init\` writes a minimal file for your Safes, governors and timelocks;
[\`config/custos.example.yaml\`](../config/custos.example.yaml) shows every field.

\`\`\`sh
npx custos config check --config custos.yaml             # everything custos run checks before it starts
npx custos config check --config custos.yaml --offline   # without the environment (e.g. in CI)
\`\`\`

\`config check\` prints \`path: problem\` lines (\`chains.1.rpc[0]: …\`,
\`guards.large-transfer.thresholds[0].max: …\`, \`notify: unknown key "dicord" (did you mean
"discord"?)\`) and exits 2 when anything is wrong: the file, an unknown guard or guard option, a
watched address on a chain with no \`chains\` entry, the same Safe listed twice, an RPC URL with
a key written in the file, an environment variable the file names that is not set, a
\`dataDir\` that cannot be created or written. \`custos run\` refuses the same problems, in the
same words, with exit 2. \`--offline\` skips the environment variables and the data directory.

Secrets are never written in the file: an RPC URL with a key, a webhook URL or an API key is
given as \`{ env: NAME }\` (or a field ending in \`Env\` names the variable), read from the
environment when custos starts, and URLs are redacted from every error message and log line.
Relative paths (\`dataDir\`, \`store.path\`, \`veto.keystore.file\`, \`abis[].file\`) are relative
to the config file, wherever custos is started from.
`

/** The reference in Markdown: one table per object, in the order of the schema. */
export function configReference(guards: GuardDoc[] = []): string {
  const root = configJsonSchema() as Js
  // The parsed empty file holds every default outside lists and maps, nested ones included.
  const defaults = configSchema.parse({}) as Record<string, unknown>
  const defaultAt = (path: string): unknown =>
    /[[<]/.test(path)
      ? undefined
      : path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], defaults)
  const out: string[] = [INTRO]
  const sections: Array<{ path: string; schema: Js }> = [{ path: '', schema: root }]
  while (sections.length) {
    const { path, schema } = sections.shift() as { path: string; schema: Js }
    out.push(`## ${path ? `\`${path}\`` : 'Top level'}`, '')
    if (path && schema.description) out.push(schema.description, '')
    out.push('| key | type | default | description |', '|---|---|---|---|')
    const nested: Array<{ path: string; schema: Js }> = []
    for (const [key, field] of Object.entries(schema.properties ?? {})) {
      const child = objectIn(field)
      const where = `${path ? `${path}.` : ''}${key}${child?.suffix ?? ''}`
      const fallback = field.default === undefined ? defaultAt(path ? `${path}.${key}` : key) : undefined
      if (fallback !== undefined) field.default = fallback
      const required = schema.required?.includes(key) && field.default === undefined
      if (child && key !== 'guards')
        nested.push({ path: where, schema: { ...child.schema, description: field.description ?? '' } })
      out.push(
        `| \`${key}\` | ${typeOf(field)}${child && key !== 'guards' ? ` (see [\`${where}\`](#${anchor(where)}))` : ''} | ${required ? '**required**' : defaultOf(field)} | ${cell(field.description ?? '')} |`,
      )
    }
    out.push('')
    sections.unshift(...nested)
  }
  if (guards.length) {
    out.push('## `guards.<guard id>`', '', GUARDS, '')
    out.push('| guard | options (defaults) | what it catches |', '|---|---|---|')
    for (const g of guards) {
      const options = Object.entries(g.defaults)
        .map(([k, v]) => `\`${k}: ${JSON.stringify(v)}\``)
        .join(', ')
      out.push(`| \`${g.id}\` | \`enabled: true\`${options ? `, ${options}` : ''} | ${cell(g.description)} |`)
    }
    out.push('')
  }
  return `${out.join('\n').trimEnd()}\n`
}

const GUARDS =
  "Each guard's settings, by guard id: `enabled` (true by default) and its own options. An unknown guard or option is an error. [guards.md](guards.md) explains each guard; `custos guards` lists them with their defaults."

/** An object (or a list or map of objects) inside a field, with the path suffix that reaches it. */
function objectIn(field: Js): { schema: Js; suffix: string } | undefined {
  if (field.type === 'object' && field.properties) return { schema: field, suffix: '' }
  if (field.type === 'array' && field.items?.type === 'object' && field.items.properties)
    return { schema: field.items, suffix: '[]' }
  const add = field.additionalProperties
  if (field.type === 'object' && typeof add === 'object' && add.type === 'object' && add.properties)
    return { schema: add, suffix: field.propertyNames?.pattern === '^\\d+$' ? '.<chain id>' : '.<key>' }
  return undefined
}

function typeOf(s: Js): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(' or ')
  if (s.format === 'address') return 'address'
  if (s.type === 'object' && s.properties && Object.keys(s.properties).join() === 'env')
    return '`{ env: NAME }`'
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``
  if (s.enum) return s.enum.map((e) => `\`${e}\``).join(' \\| ')
  if (s.type === 'string') {
    if (s.format === 'uri') return 'URL'
    if (s.pattern === '^[A-Za-z_][A-Za-z0-9_]*$') return 'environment variable name'
    if (s.pattern === '^\\d{15,21}$') return 'Discord id (quoted)'
    return 'string'
  }
  if (s.type === 'integer' || s.type === 'number') {
    const lo =
      s.exclusiveMinimum !== undefined
        ? `> ${s.exclusiveMinimum}`
        : s.minimum !== undefined
          ? `≥ ${s.minimum}`
          : ''
    const hi = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${s.maximum}` : ''
    const range = [lo, hi].filter(Boolean).join(', ')
    return `${s.type}${range ? ` (${range})` : ''}`
  }
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`
  if (s.type === 'object') {
    if (s.properties) return 'object'
    const add = s.additionalProperties
    if (typeof add === 'object') return `map of ${typeOf(add)}`
    return 'object'
  }
  return s.type ?? 'any'
}

function defaultOf(s: Js): string {
  if (s.default === undefined) return '—'
  if (typeof s.default === 'object' && s.default !== null && !Array.isArray(s.default))
    return Object.keys(s.default).length ? 'see below' : '`{}`'
  return `\`${JSON.stringify(s.default)}\``
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const anchor = (path: string) =>
  path
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-')
