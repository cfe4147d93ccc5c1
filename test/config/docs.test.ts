import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configJsonSchema } from '../../src/config/docs.js'
import { cli } from '../cli/run.js'

// The configuration documents itself: every field has a description in the schema, and
// docs/configuration.md is exactly what `custos config docs` prints from it.

type Js = {
  description?: string
  properties?: Record<string, Js>
  items?: Js
  additionalProperties?: Js | boolean
  anyOf?: Js[]
  oneOf?: Js[]
  allOf?: Js[]
}

/** Paths of object fields without a description, anywhere in the schema. */
function undescribed(s: Js, path = ''): string[] {
  const out: string[] = []
  for (const [key, field] of Object.entries(s.properties ?? {})) {
    const here = path ? `${path}.${key}` : key
    if (!field.description?.trim()) out.push(here)
    out.push(...undescribed(field, here))
  }
  if (s.items) out.push(...undescribed(s.items, `${path}[]`))
  if (typeof s.additionalProperties === 'object')
    out.push(...undescribed(s.additionalProperties, `${path}.<key>`))
  for (const option of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])])
    out.push(...undescribed(option, path))
  return out
}

describe('the configuration reference', () => {
  it('has a description for every field', () => {
    expect(undescribed(configJsonSchema() as Js)).toEqual([])
  })

  it('is docs/configuration.md, as custos config docs prints it (run `npx custos config docs > docs/configuration.md`)', async () => {
    const r = await cli(['config', 'docs'])
    expect(r.code).toBe(0)
    const doc = readFileSync(join(import.meta.dirname, '../../docs/configuration.md'), 'utf8')
    expect(doc).toBe(r.stdout)
  })

  it('is also a JSON Schema', async () => {
    const r = await cli(['config', 'docs', '--format', 'json-schema'])
    const schema = JSON.parse(r.stdout)
    expect(schema.$schema).toMatch(/json-schema\.org\/draft\/2020-12/)
    expect(schema.properties.chains.additionalProperties.properties.rpc.items.anyOf[1]).toMatchObject({
      properties: { env: { type: 'string' } },
      required: ['env'],
    })
  })
})
