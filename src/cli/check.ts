import { ConfigError } from '../config/load.js'
import type { CheckResult } from '../model/check.js'
import { InputError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'
import type { Target } from '../model/target.js'
import { createChainClients } from '../pipeline/chains.js'
import { runRound } from '../pipeline/check-round.js'
import { createConfiguredSimulator, createRuntime, environmentIssues } from '../pipeline.js'
import { createMetrics } from '../server/metrics.js'
import { createBatchReader } from '../sources/multicall.js'
import { planChecks } from '../watchdogs/round.js'
import type { Io } from './io.js'
import { createStyle, type Style } from './style.js'

// `custos check`: every check of the configured protocols, once, printed; for trying a
// configuration before `custos run` watches it. Nothing is stored, alerted or sent.

export type CheckOptions = { config: string; protocol?: string; format?: 'text' | 'json' }

export async function checkCommand(opts: CheckOptions, io: Io): Promise<number> {
  const rt = createRuntime(opts.config)
  let protocols = rt.targets.ofKind('protocol')
  if (opts.protocol !== undefined) {
    const q = opts.protocol.trim().toLowerCase()
    protocols = protocols.filter((t) => t.name.toLowerCase() === q || t.address.toLowerCase() === q)
    if (!protocols.length)
      throw new InputError(`the configuration has no protocol called ${opts.protocol.slice(0, 80)}`)
  }
  if (!protocols.length) throw new InputError('the configuration watches no protocols (`protocols:`)')
  const missing = environmentIssues(rt, io.env)
  if (missing.length) throw new ConfigError(opts.config, missing)
  const chains = createChainClients(
    rt.config,
    io.env,
    [...new Set(protocols.map((t) => t.chainId))],
    createMetrics(),
  )
  const simulator = createConfiguredSimulator(rt)
  const out: Array<{ target: Target; block: bigint; results: Map<string, CheckResult> }> = []
  try {
    for (const target of protocols) {
      const client = chains.client(target.chainId)
      const planned = planChecks(target.protocol ?? { pauses: [] }, target.protocol?.checks ?? [])
      const block = await client.getBlockNumber({ cacheTime: 0 })
      const round = await runRound(
        {
          client,
          reader: createBatchReader(client),
          simulate: (call) => simulator.simulateCall(target.chainId, chains.upstreams(target.chainId), call),
        },
        planned,
        block,
      )
      out.push({ target, block, results: round.results })
    }
  } finally {
    await simulator.close()
  }
  const broken = out.some((o) => [...o.results.values()].some((r) => !r.ok))
  if (opts.format === 'json') {
    const json = out.map(({ target, block, results }) => ({
      protocol: target.name,
      chainId: target.chainId,
      address: target.address,
      block: block.toString(),
      checks: (target.protocol?.checks ?? []).map((c) => ({
        id: c.id,
        kind: c.kind,
        level: c.level,
        ...results.get(c.id),
      })),
    }))
    io.stdout.write(`${JSON.stringify({ ok: !broken, protocols: json }, null, 2)}\n`)
  } else
    io.stdout.write(redactUrls(renderChecks(out, createStyle(Boolean(io.stdout.isTTY) && !io.env.NO_COLOR))))
  return broken ? 1 : 0
}

function renderChecks(
  out: Array<{ target: Target; block: bigint; results: Map<string, CheckResult> }>,
  s: Style,
): string {
  const lines: string[] = []
  for (const { target, block, results } of out) {
    lines.push(
      s.bold(`${target.name}`) + s.dim(` · chain ${target.chainId} · ${target.address} · block ${block}`),
    )
    const checks = target.protocol?.checks ?? []
    const width = Math.max(...checks.map((c) => c.id.length))
    for (const c of checks) {
      const r = results.get(c.id)
      const mark = r?.ok ? s.ok('ok    ') : s.level(c.level, c.level.toUpperCase().padEnd(6))
      lines.push(`  ${mark} ${c.id.padEnd(width)}  ${s.dim(c.kind.padEnd(14))} ${r?.summary ?? ''}`)
      for (const p of r?.problems ?? []) lines.push(`         ${s.bad(p.code)}: ${p.message}`)
      for (const n of r?.notes ?? []) lines.push(`         ${s.dim(`note: ${n}`)}`)
    }
    lines.push('')
  }
  return `${lines.join('\n')}\n`
}
