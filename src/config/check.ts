import { mkdtempSync, rmdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { missingSecrets } from './load.js'
import type { Config } from './schema.js'

// What `custos run` needs beyond a file that parses. `config check` and `run` both ask this
// one function, so a file that passes the check is not refused by `run` a minute later.

export type ReadinessOptions = {
  /** Skip what depends on the machine custos will run on: environment variables, the data directory. */
  offline?: boolean
}

/** Every reason `custos run` would refuse this config, as `path: problem` lines. */
export function runIssues(config: Config, env: NodeJS.ProcessEnv, opts: ReadinessOptions = {}): string[] {
  const issues = [...unreachableTargets(config), ...duplicates(config), ...keysInFile(config)]
  if (opts.offline) return issues
  issues.push(...missingSecrets(config, env))
  const data = dataDirIssue(config.dataDir)
  if (data) issues.push(`dataDir: ${data}`)
  if (config.store.path) {
    const store = dataDirIssue(dirname(config.store.path))
    if (store) issues.push(`store.path: ${store}`)
  }
  return issues
}

const SECTIONS = ['safes', 'governors', 'timelocks'] as const

function unreachableTargets(config: Config): string[] {
  const issues: string[] = []
  for (const section of SECTIONS) {
    config[section].forEach((t, i) => {
      const chain = config.chains[String(t.chainId)]
      if (!chain)
        issues.push(
          `${section}[${i}].chainId: chain ${t.chainId} has no entry under \`chains\` (custos reads it through chains."${t.chainId}".rpc)`,
        )
      else if (chain.rpc.length === 0)
        issues.push(
          `chains.${t.chainId}.rpc: no RPC endpoint, but ${section}[${i}] (${t.name}) is on this chain`,
        )
    })
  }
  return issues
}

function duplicates(config: Config): string[] {
  const issues: string[] = []
  const seen = new Map<string, string>()
  for (const section of SECTIONS) {
    config[section].forEach((t, i) => {
      const key = `${t.chainId}:${t.address.toLowerCase()}`
      const first = seen.get(key)
      if (first)
        issues.push(`${section}[${i}]: ${t.address} on chain ${t.chainId} is already listed as ${first}`)
      else seen.set(key, `${section}[${i}]`)
    })
  }
  return issues
}

// A path segment or query value this long and random-looking is an API key far more often
// than a route (`/v2/<key>`, `/v3/<key>`, `?apikey=<key>`).
const KEYISH = /^[A-Za-z0-9_-]{20,}$/

/** RPC URLs written in the file that carry what looks like a key. */
function keysInFile(config: Config): string[] {
  const issues: string[] = []
  for (const [chain, c] of Object.entries(config.chains)) {
    c.rpc.forEach((r, i) => {
      if (typeof r !== 'string' || !carriesKey(r)) return
      issues.push(
        `chains.${chain}.rpc[${i}]: the URL carries what looks like a key; keep it out of the file: set it in an environment variable and write { env: RPC_URL_${chain} }`,
      )
    })
  }
  return issues
}

export function carriesKey(url: string): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (u.username || u.password) return true
  if (u.pathname.split('/').some((s) => KEYISH.test(s))) return true
  return [...u.searchParams].some(([k, v]) => /key|token|secret|auth/i.test(k) || KEYISH.test(v))
}

/**
 * Why custos could not keep its state in `dir`, or undefined. Tried for real (a directory made
 * and removed in `dir`, or in its nearest existing parent when `dir` does not exist yet), since
 * permission bits do not tell the whole story (root, read-only mounts, ACLs).
 */
export function dataDirIssue(dir: string): string | undefined {
  const who = typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user'
  let existing = dir
  for (;;) {
    try {
      if (!statSync(existing).isDirectory())
        return existing === dir
          ? `${dir} is a file, not a directory`
          : `${dir} cannot be created: ${existing} is a file`
      break
    } catch {
      const up = dirname(existing)
      if (up === existing) return `${dir} cannot be created: no existing parent directory`
      existing = up
    }
  }
  try {
    rmdirSync(mkdtempSync(join(existing, '.custos-write-check-')))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'EROFS' ? 'is on a read-only file system' : `is not writable by ${who}`
    return existing === dir ? `${dir} ${why}` : `${dir} cannot be created: ${existing} ${why}`
  }
  return undefined
}
