import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { type Abi, parseAbi } from 'viem'
import { parse as parseYaml } from 'yaml'
import type { AbiSource } from '../model/decoded.js'
import { InputError } from '../model/errors.js'
import { formatIssues } from '../model/zod.js'
import { type Config, configSchema, type SecretRef } from './schema.js'

/**
 * A configuration problem, in the file or in the environment it names; `issues` are
 * path-qualified lines such as `chains.1.rpc[0]: …`.
 */
export class ConfigError extends InputError {
  override name = 'ConfigError'
  readonly issues: string[]
  constructor(source: string, issues: string[], options?: { cause?: unknown }) {
    super(`${source}: ${issues.join('; ')}`, options)
    this.issues = issues
  }
}

export type LoadedConfig = { config: Config; path?: string; abis: AbiSource[] }

/** Reads, parses and validates a YAML config. Without a path, every default applies. */
export function loadConfig(path?: string): LoadedConfig {
  if (!path) return { config: configSchema.parse({}), abis: [] }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new InputError(`cannot read config ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
      cause,
    })
  }
  return parseConfigText(text, path)
}

export function parseConfigText(text: string, source: string): LoadedConfig {
  let raw: unknown
  try {
    raw = parseYaml(text, { prettyErrors: true }) ?? {}
  } catch (cause) {
    throw new ConfigError(source, [`(yaml): ${(cause as Error).message.split('\n')[0]}`], { cause })
  }
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) throw new ConfigError(source, formatIssues(parsed.error, '', configSchema))
  const baseDir = dirname(resolve(source))
  const config = withPathsFrom(parsed.data, baseDir)
  return { config, path: source, abis: loadAbis(config, baseDir, source) }
}

/**
 * Relative paths in a file are relative to the file, wherever custos is started from (as a
 * service manager or a container would start it): `dataDir`, `store.path`, `veto.keystore.file`
 * and `abis[].file`.
 */
function withPathsFrom(config: Config, baseDir: string): Config {
  const out: Config = { ...config, dataDir: resolve(baseDir, config.dataDir) }
  if (config.store.path) out.store = { ...config.store, path: resolve(baseDir, config.store.path) }
  if (config.veto.keystore)
    out.veto = {
      ...config.veto,
      keystore: { ...config.veto.keystore, file: resolve(baseDir, config.veto.keystore.file) },
    }
  return out
}

/** Loads the config's extra ABIs (files relative to `baseDir`), reporting each bad one by path. */
export function loadAbis(config: Config, baseDir: string, source: string): AbiSource[] {
  const issues: string[] = []
  const out: AbiSource[] = []
  config.abis.forEach((a, i) => {
    const where = `abis[${i}]`
    try {
      let abi: Abi
      if (a.file) {
        const json = JSON.parse(readFileSync(resolve(baseDir, a.file), 'utf8'))
        const list = Array.isArray(json) ? json : json?.abi
        if (!Array.isArray(list))
          throw new Error('the file holds neither an ABI array nor an artifact with `abi`')
        abi = list as Abi
      } else {
        abi = parseAbi(a.signatures ?? []) as Abi
      }
      out.push({ name: a.name, abi, ...(a.addresses ? { addresses: a.addresses } : {}) })
    } catch (cause) {
      issues.push(`${where}: ${(cause as Error).message.split('\n')[0]}`)
    }
  })
  if (issues.length) throw new ConfigError(source, issues)
  return out
}

/** Reads a secret from the environment; a missing variable is a configuration error. */
export function resolveSecret(ref: SecretRef | string, env: NodeJS.ProcessEnv, where: string): string {
  if (typeof ref === 'string') return ref
  const value = env[ref.env]
  if (value === undefined || value === '') {
    throw new ConfigError('environment', [`${where}: environment variable ${ref.env} is not set`])
  }
  return value
}

/** Every environment variable the config refers to that is not set, as config issues. */
export function missingSecrets(config: Config, env: NodeJS.ProcessEnv): string[] {
  const issues: string[] = []
  for (const [chain, c] of Object.entries(config.chains)) {
    c.rpc.forEach((r, i) => {
      if (typeof r !== 'string' && !env[r.env])
        issues.push(`chains.${chain}.rpc[${i}]: environment variable ${r.env} is not set`)
    })
    if (c.txServiceApiKeyEnv && !env[c.txServiceApiKeyEnv]) {
      issues.push(
        `chains.${chain}.txServiceApiKeyEnv: environment variable ${c.txServiceApiKeyEnv} is not set`,
      )
    }
  }
  for (const [i, w] of config.notify.webhooks.entries()) {
    if (typeof w.url !== 'string' && !env[w.url.env])
      issues.push(`notify.webhooks[${i}].url: environment variable ${w.url.env} is not set`)
    if (w.secretEnv && !env[w.secretEnv])
      issues.push(`notify.webhooks[${i}].secretEnv: environment variable ${w.secretEnv} is not set`)
  }
  const n = config.notify
  const need = (name: string, where: string) => {
    if (!env[name]) issues.push(`${where}: environment variable ${name} is not set`)
  }
  if (n.discord) {
    need(n.discord.tokenEnv, 'notify.discord.tokenEnv')
    if (typeof n.discord.channelId !== 'string') need(n.discord.channelId.env, 'notify.discord.channelId')
  }
  n.slack.forEach((s, i) => {
    if (typeof s.url !== 'string') need(s.url.env, `notify.slack[${i}].url`)
  })
  if (n.telegram) need(n.telegram.tokenEnv, 'notify.telegram.tokenEnv')
  if (n.pagerduty) need(n.pagerduty.routingKeyEnv, 'notify.pagerduty.routingKeyEnv')
  if (config.veto.enabled) {
    if (config.veto.keyEnv) need(config.veto.keyEnv, 'veto.keyEnv')
    if (config.veto.keystore) need(config.veto.keystore.passphraseEnv, 'veto.keystore.passphraseEnv')
  }
  if (config.store.driver === 'postgres') need(config.store.url.env, 'store.url')
  if (config.sources.webhook.enabled && !env[config.sources.webhook.tokenEnv]) {
    issues.push(
      `sources.webhook.tokenEnv: environment variable ${config.sources.webhook.tokenEnv} is not set`,
    )
  }
  return issues
}
