// The report page alerts link to: one report as plain HTML (no scripts, no external resources),
// rendered from the stored JSON, every value escaped.

import { type CustosGuardRun, custosGuardLine } from '../model/custos-guard.js'

type Json = Record<string, unknown>
const esc = (v: unknown): string =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )
const LEVEL_COLOURS: Record<string, string> = {
  none: '#2e7d32',
  info: '#0277bd',
  low: '#1565c0',
  medium: '#ef6c00',
  high: '#c62828',
  critical: '#7f0000',
}

const STYLE = (level: string) => `<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
code,.mono{font-family:ui-monospace,Menlo,monospace;font-size:13px;word-break:break-all}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:.3rem;color:#fff;font-weight:700;background:${LEVEL_COLOURS[level] ?? '#555'}}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.dim{color:#666}ul.tree{list-style:none;padding-left:1.2rem;border-left:2px solid #eee}.delegate{color:#b71c1c;font-weight:700}
.sev-critical,.sev-high{color:#b71c1c;font-weight:700}.sev-medium{color:#e65100}
</style>`

export type ReportPageMeta = {
  reportId: number
  createdAt: number
  /** How the configuration names the Safe, governor or timelock (the page is titled with it). */
  targetName?: string | undefined
}

export function renderReportPage(report: Json, meta: ReportPageMeta): string {
  const risk = (report.risk ?? {}) as { level?: string; score?: number }
  const safe = (report.safe ?? {}) as Json
  const hashes = (report.hashes ?? {}) as Json
  const tx = (report.transaction ?? {}) as Json
  const level = risk.level ?? 'none'
  const labels = (report.labels ?? {}) as Record<string, string>
  const name = (a: unknown) =>
    typeof a === 'string' && labels[a] ? `${esc(a)} <span class="dim">(${esc(labels[a])})</span>` : esc(a)
  const sim = report.simulation as Json | undefined
  const findings = (report.findings ?? []) as Json[]
  const gov = report.governance as Json | undefined
  const check = report.check as Json | undefined
  if (check) return renderCheckPage(report, check, meta, level, risk.score)
  // A Safe transaction shows its Safe and hashes; a governance proposal its governor or timelock.
  const named = meta.targetName ? `${esc(meta.targetName)} · ` : ''
  const subject = gov
    ? `${named}${gov.flavor === 'timelock' ? 'Timelock' : 'Governor'} <span class="mono">${name(gov.flavor === 'timelock' ? gov.timelock : gov.governor)}</span>`
    : `${named}Safe <span class="mono">${name(safe.address)}</span>`
  // As the alert that links here is titled: level, the target's name, the nonce or proposal.
  const item = String(report.id ?? '').split(':')[3] ?? ''
  const title = [
    level.toUpperCase(),
    meta.targetName ?? (gov ? (gov.flavor === 'timelock' ? gov.timelock : gov.governor) : safe.address),
    gov
      ? gov.flavor === 'timelock'
        ? `operation ${item.slice(0, 10)}…`
        : `proposal ${item}`
      : `nonce ${tx.nonce}`,
  ]
  const subtitle = gov
    ? `chain ${esc(report.chainId)} · ${esc(gov.flavor)} · executor ${name(gov.executor)} · created in block ${esc(gov.createdBlock)}${gov.state ? ` · ${esc(gov.state)}` : ''}`
    : `chain ${esc(report.chainId)} · Safe ${esc(safe.version)} · nonce ${esc(tx.nonce)}`
  const hashTable = gov
    ? ''
    : `<h2>Hashes</h2>
<p class="dim">Compare these with what your hardware wallet shows before you sign.</p>
<table id="hashes">
<tr><th>Domain hash</th><td class="mono">${esc(hashes.domainHash)}</td></tr>
<tr><th>Message hash</th><td class="mono">${esc(hashes.messageHash)}</td></tr>
<tr><th>safeTxHash</th><td class="mono">${esc(hashes.safeTxHash)}</td></tr>
${hashes.claimedSafeTxHash ? `<tr><th>Claimed</th><td class="mono">${esc(hashes.claimedSafeTxHash)} ${hashes.match ? '(matches)' : '<strong class="sev-critical">DOES NOT MATCH</strong>'}</td></tr>` : ''}
</table>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title.join(' · '))}</title>
${STYLE(level)}</head><body>
<h1><span class="badge" id="level">${esc(level.toUpperCase())}</span> ${subject}</h1>
<p class="dim">${subtitle} · score ${esc(risk.score)} · report #${meta.reportId} checked ${esc(new Date(meta.createdAt).toISOString())}</p>
${hashTable}
<h2>Findings</h2>
${findings.length === 0 ? '<p>None.</p>' : `<table id="findings"><tr><th>Severity</th><th>Guard</th><th>What</th></tr>${findings.map((f) => `<tr><td class="sev-${esc(f.severity)}">${esc(f.severity)}</td><td class="mono">${esc(f.guard)}/${esc(f.code)}</td><td>${esc(f.message)}</td></tr>`).join('')}</table>`}
<h2>Simulation</h2>
${renderSimulation(sim, name)}
<h2>Calls</h2>
<p class="dim">Decoded from the raw calldata, not from any claim.</p>
${renderCalls((report.calls ?? []) as Json[], name)}
<p class="dim"><a href="./${encodeURIComponent(String(meta.reportId))}.json">This report as JSON</a></p>
</body></html>`
}

function renderSimulation(sim: Json | undefined, name: (a: unknown) => string): string {
  if (!sim) return '<p class="dim">Not simulated.</p>'
  if (sim.available === false)
    return `<p class="sev-high">Unavailable: ${esc(sim.error)}. A simulation that did not run is not a pass.</p>`
  const without = sim.withoutGuard as Json | undefined
  return `${renderGuard(sim.guard as Json | undefined, name)}
${renderEffects(sim, name, 'sim-result')}${
  without
    ? `
<h3 id="sim-intent">What it intends with the guard cleared</h3>
${renderEffects(without, name, 'sim-intent-result')}`
    : ''
}`
}

/** The Safe's transaction guard; for the custos Guard, whether and when it lets the transaction run. */
function renderGuard(guard: Json | undefined, name: (a: unknown) => string): string {
  if (!guard) return ''
  const custos = guard.custos as Json | undefined
  if (custos) {
    const runs = String(custos.runs)
    const cls =
      runs === 'now' ? '' : runs === 'after-delay' || runs === 'needs-schedule' ? 'sev-medium' : 'sev-high'
    const line = custosGuardLine({
      runs: runs as CustosGuardRun,
      reason: String(custos.reason),
      executableAt: custos.executableAt as string | undefined,
    })
    return `<p id="sim-guard">The custos Guard ${name(guard.address)}: <strong${cls ? ` class="${cls}"` : ''}>${esc(line)}</strong></p>`
  }
  return `<p id="sim-guard">Transaction guard ${name(guard.address)}${guard.blocked ? ': <strong class="sev-high">it blocks this transaction</strong>' : ''}</p>`
}

function renderEffects(sim: Json, name: (a: unknown) => string, id: string): string {
  const rows = (title: string, items: unknown[], fmt: (x: Json) => string) =>
    items.length
      ? `<h3>${esc(title)}</h3><ul>${items.map((x) => `<li>${fmt(x as Json)}</li>`).join('')}</ul>`
      : ''
  return `<p id="${id}">${sim.success ? 'Succeeds' : `<strong class="sev-high">Fails</strong>: ${esc(sim.revertReason)}`} <span class="dim">(block ${esc(sim.block)}, gas ${esc(sim.gasUsed)})</span></p>
${rows('Safe changes', (sim.safeChanges ?? []) as unknown[], (c) => `<code>${esc(c.field)}</code>: ${Array.isArray(c.added) || Array.isArray(c.removed) ? [...((c.added as string[]) ?? []).map((a) => `+ ${name(a)}`), ...((c.removed as string[]) ?? []).map((a) => `− ${name(a)}`)].join(', ') : `${name(c.before)} → ${name(c.after)}`}`)}
${rows('Asset changes', (sim.assetChanges ?? []) as unknown[], (c) => `${esc(c.amount)} ${esc(c.symbol ?? c.standard)} ${c.decimals !== undefined ? `<span class="dim">(${esc(c.decimals)} decimals)</span>` : ''}: ${name(c.from)} → ${name(c.to)}`)}
${rows('Approvals', (sim.approvals ?? []) as unknown[], (a) => `${name(a.owner)} lets ${name(a.spender)} spend ${esc(a.amount ?? (a.approved ? 'all' : a.tokenId))} of ${name(a.token)}`)}
${rows('Proxy upgrades', (sim.proxyUpgrades ?? []) as unknown[], (u) => `${name(u.proxy)} ${esc(u.kind)}: ${name(u.before)} → ${name(u.after)}`)}
${rows('Permission changes', (sim.permissionChanges ?? []) as unknown[], (p) => `${name(p.contract)} ${esc(p.kind)} → ${name(p.account)}`)}
${rows('Code changes', (sim.codeChanges ?? []) as unknown[], (c) => `${esc(c.kind)} ${name(c.address)}`)}`
}

/** A source's name for bytes custos cannot decode: shown as the claim it is. */
function claimedOf(c: Json): string {
  const claimed = c.claimedFunction as Json | undefined
  if (!claimed) return ''
  return ` <span class="sev-medium">claimed, unverified:</span> <code>${esc(claimed.signature)}</code>`
}

function renderCalls(calls: Json[], name: (a: unknown) => string): string {
  if (!calls.length) return ''
  return `<ul class="tree">${calls
    .map((c) => {
      const op =
        c.operation === 'delegatecall'
          ? '<span class="delegate">DELEGATECALL</span>'
          : c.operation === 'create'
            ? '<span class="delegate">CREATE</span>'
            : 'CALL'
      const args = ((c.args ?? []) as Json[])
        .map(
          (a) =>
            `<li><code>${esc(a.name)} ${esc(a.type)}</code> = ${a.type === 'address' ? name(a.value) : `<span class="mono">${esc(typeof a.value === 'object' ? JSON.stringify(a.value) : a.value)}</span>`}</li>`,
        )
        .join('')
      return `<li>${op} ${name(c.to)}${c.value && c.value !== '0' ? ` <span class="dim">value ${esc(c.value)} wei</span>` : ''}${c.function ? ` <code>${esc(c.function)}</code>` : ''}${claimedOf(c)}${c.decodeError ? ` <strong class="sev-medium">not decoded: ${esc(c.decodeError)}</strong>` : ''}${args ? `<ul>${args}</ul>` : ''}${renderCalls((c.calls ?? []) as Json[], name)}</li>`
    })
    .join('')}</ul>`
}

/** A protocol check's episode: the protocol, what was read, each problem, and the pause it calls for. */
function renderCheckPage(
  report: Json,
  check: Json,
  meta: { reportId: number; createdAt: number },
  level: string,
  score: unknown,
): string {
  const problems = (check.problems ?? []) as Json[]
  const notes = (check.notes ?? []) as string[]
  const pause = check.pause as Json | undefined
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(level.toUpperCase())} · ${esc(check.protocol)} · check ${esc(check.id)}</title>
${STYLE(level)}</head><body>
<h1><span class="badge" id="level">${esc(level.toUpperCase())}</span> ${esc(check.protocol)} · check <span class="mono">${esc(check.id)}</span></h1>
<p class="dim">chain ${esc(report.chainId)} · ${esc(check.kind)} · block ${esc(check.block)} · raised ${esc(check.raised)} time(s) · score ${esc(score)} · report #${meta.reportId} checked ${esc(new Date(meta.createdAt).toISOString())}</p>
<h2>What custos read</h2>
<p id="check-summary">${esc(check.summary)}</p>
${check.worse ? `<p>Raised again: ${esc(check.worse)}</p>` : ''}
<h2>Problems</h2>
<table id="findings"><tr><th>Code</th><th>What</th></tr>${problems.map((p) => `<tr><td class="mono sev-${esc(level)}">${esc(p.code)}</td><td>${esc(p.message)}</td></tr>`).join('')}</table>
${notes.length ? `<h2>Not checked</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${pause ? `<h2>Circuit breaker</h2><p>${pause.auto ? 'This check calls for' : 'Signers may send'} the pause <code>${esc(pause.name)}</code>: <code>${esc(pause.signature)}</code> on <span class="mono">${esc(pause.target)}</span>. Unpausing is never automatic.</p>` : ''}
<p class="dim"><a href="./${encodeURIComponent(String(meta.reportId))}.json">This report as JSON</a></p>
</body></html>`
}
