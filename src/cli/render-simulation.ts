import { formatUnits } from 'viem'
import { type CustosGuardView, custosGuardLine } from '../model/custos-guard.js'
import type { AssetChange, Simulation, SimulationResult, TraceCall } from '../model/simulation.js'
import type { Style } from './style.js'

type Labels = Record<string, string>

/** The simulation, summarised for people, in the order the JSON gives it. */
export function renderSimulation(result: SimulationResult, labels: Labels, s: Style): string[] {
  if (!result.ok)
    return [
      s.bold('Simulation'),
      `  ${s.bad(`UNAVAILABLE: ${result.error}`)}`,
      s.dim('  (a simulation that did not run is not a pass)'),
    ]
  const sim = result.simulation
  const out = [
    s.bold('Simulation') +
      s.dim(
        `  (${sim.mode === 'fork' ? 'local fork' : 'the RPC node'} at block ${sim.block} · ${sim.durationMs} ms)`,
      ),
  ]
  // Whether a guarded Safe runs it at all comes before what running it does.
  if (sim.guard?.custos) out.push(`  custos Guard  ${custosLine(sim.guard.custos, s)}`)
  out.push(...body(sim, labels, s, '  '))
  if (sim.withoutGuard) {
    out.push(`  ${s.bad("The Safe's guard blocks it.")} What it intends with the guard cleared:`)
    out.push(...body(sim.withoutGuard, labels, s, '    '))
  }
  return out
}

function custosLine(v: CustosGuardView, s: Style): string {
  const line = custosGuardLine(v)
  return v.runs === 'now'
    ? s.ok(line)
    : v.runs === 'after-delay' || v.runs === 'needs-schedule'
      ? line
      : s.bad(line)
}

function body(sim: Simulation, labels: Labels, s: Style, pad: string): string[] {
  const out: string[] = []
  const name = (a: string | null | undefined) =>
    a ? (labels[a] ? `${a} ${s.dim(`(${labels[a]})`)}` : a) : 'none'
  out.push(
    `${pad}result        ${sim.success ? s.ok('succeeds') : s.bad(`FAILS: ${sim.revertReason ?? 'no reason given'}`)}${s.dim(`  gas ${sim.gasUsed}`)}`,
  )
  if (sim.nonce?.overridden) {
    out.push(
      `${pad}nonce         ${sim.nonce.tx}${s.dim(` (the Safe is at ${sim.nonce.onChain}; ${sim.nonce.stale ? 'already used' : 'simulated as if the ones before it had executed'})`)}`,
    )
  }
  const section = (title: string, lines: string[]) => {
    if (!lines.length) return
    out.push(`${pad}${title}`)
    for (const l of lines) out.push(`${pad}  ${l}`)
  }
  section(
    'Safe changes',
    sim.safeChanges.map((c) => {
      if (c.field === 'owners' || c.field === 'modules') {
        const parts = [
          ...(c.added ?? []).map((a) => `+ ${name(a)}`),
          ...(c.removed ?? []).map((a) => `- ${name(a)}`),
        ]
        return `${c.field.padEnd(15)} ${parts.join(', ') || 'reordered'}`
      }
      if (c.field === 'storage')
        return `${s.bad('storage slot')}    ${c.slot}: ${String(c.before)} → ${String(c.after)}`
      const fmt = (v: unknown) => (typeof v === 'string' && v.length === 42 ? name(v) : String(v))
      const line = `${c.field.padEnd(15)} ${fmt(c.before)} → ${fmt(c.after)}`
      return c.field === 'singleton' ? s.bad(line) : line
    }),
  )
  section(
    'Asset changes',
    sim.assetChanges.map((c) => `${amount(c)}  ${name(c.from)} → ${name(c.to)}`),
  )
  section(
    'Approvals',
    sim.approvals.map((a) => {
      const what =
        a.standard === 'operator'
          ? a.approved
            ? 'all tokens'
            : 'revoked (all tokens)'
          : a.standard === 'erc721'
            ? `token #${a.tokenId}`
            : String(a.amount)
      return `${name(a.token)}: ${name(a.owner)} lets ${name(a.spender)} spend ${what}`
    }),
  )
  section(
    'Proxy upgrades',
    sim.proxyUpgrades.map(
      (u) => `${name(u.proxy)} ${u.kind}: ${name(u.before)} → ${name(u.after)} ${s.dim(`(${u.source})`)}`,
    ),
  )
  section(
    'Permission changes',
    sim.permissionChanges.map(
      (p) =>
        `${name(p.contract)} ${p.kind}${p.role ? ` ${p.role}` : ''}: ${p.previous ? `${name(p.previous)} → ` : ''}${name(p.account)}`,
    ),
  )
  section(
    'Code changes',
    sim.codeChanges.map((c) =>
      c.kind === 'created'
        ? `created ${name(c.address)} (by ${name(c.by)})`
        : s.bad(`SELFDESTRUCT of ${name(c.address)} → ${name(c.beneficiary)}`),
    ),
  )
  const trace: string[] = []
  renderTrace(sim.trace, trace, 0, name, s)
  section(
    'Trace',
    trace.length > 40
      ? [...trace.slice(0, 40), s.dim(`… ${trace.length - 40} more frames (see --format json)`)]
      : trace,
  )
  return out
}

function amount(c: AssetChange): string {
  if (c.standard === 'erc721') return `NFT #${c.tokenId} of ${c.symbol ?? c.token}`
  if (c.standard === 'erc1155') return `${c.amount} × #${c.tokenId} of ${c.symbol ?? c.token}`
  const unit = c.standard === 'native' ? 'ETH' : (c.symbol ?? `units of ${c.token}`)
  return c.decimals !== undefined ? `${formatUnits(c.amount, c.decimals)} ${unit}` : `${c.amount} ${unit}`
}

function renderTrace(
  f: TraceCall,
  out: string[],
  depth: number,
  name: (a: string) => string,
  s: Style,
): void {
  const type = f.type === 'DELEGATECALL' ? s.bad(f.type) : f.type === 'STATICCALL' ? s.dim(f.type) : f.type
  const fn = f.function ? ` ${f.function.signature}` : f.input.length >= 10 ? ` ${f.input.slice(0, 10)}` : ''
  const value = f.value > 0n ? ` value ${f.value}` : ''
  const error = f.error ? s.bad(`  ✗ ${f.error}`) : ''
  out.push(`${'  '.repeat(depth)}${type} ${name(f.to)}${fn}${value}${error}`)
  for (const c of f.calls) renderTrace(c, out, depth + 1, name, s)
}
