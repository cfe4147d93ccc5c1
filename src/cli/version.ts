import { readFileSync } from 'node:fs'

/** custos's version from its package.json: two levels up from src/cli, three from dist/src/cli. */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const json = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'))
      if (json.name === 'custos') return (json as { version: string }).version
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0'
}
