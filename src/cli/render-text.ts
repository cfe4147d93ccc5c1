import { formatEther } from 'viem'
import type { DecodedArg, DecodedCall } from '../model/decoded.js'
import type { GovernanceReport, Report, SafeReport } from '../model/report.js'
import { clip as cut, sanitize } from '../model/text.js'
import type { SignatureCheck } from '../model/verification.js'
import { renderSimulation } from './render-simulation.js'
import type { Style } from './style.js'

/** The report for people: hashes first (as a hardware wallet shows them), then calls, then findings. */
export function renderText(report: Report, s: Style): string {
  const out: string[] = []
  if (report.check) {
    out.push(s.bold(`${report.check.protocol} · check ${report.check.id}`), `  ${report.check.summary}`, '')
    return renderFindings(report, out, s)
  }
  if (report.governance) renderGovernance(report, out, s)
  else renderSafeHeader(report, out, s)
  if (report.simulation) {
    out.push('')
    out.push(...renderSimulation(report.simulation, report.labels, s))
  }
  out.push('')
  out.push(s.bold('Calls') + s.dim('  (decoded from the raw calldata, not from any claim)'))
  renderCall(report.call, out, s, 1, report.labels)
  out.push('')
  if (report.safe && (report.signatures.length || report.safe.state)) {
    const { safe } = report
    const threshold = safe.state ? `, threshold ${safe.state.threshold}` : ''
    out.push(s.bold(`Confirmations`) + s.dim(`  (${report.signatures.length}${threshold})`))
    for (const sig of report.signatures) out.push(`  ${renderSignature(sig, s, report.labels)}`)
    if (report.signatures.length === 0) out.push(s.dim('  none'))
    out.push('')
  }
  return renderFindings(report, out, s)
}

function renderGovernance(report: GovernanceReport, out: string[], s: Style) {
  const g = report.governance
  const what =
    g.flavor === 'timelock'
      ? `Timelock ${g.timelock} · operation ${report.proposal.origin.kind === 'timelock' ? report.proposal.origin.operationId : '?'}`
      : `Governor ${g.governor} · proposal ${report.proposal.origin.kind === 'governor' ? report.proposal.origin.proposalId : '?'}`
  out.push(
    s.bold(what) +
      s.dim(
        `  chain ${report.proposal.chainId} · ${g.flavor === 'bravo' ? 'GovernorBravo' : g.flavor === 'oz' ? 'OpenZeppelin Governor' : 'TimelockController'}${g.state ? ` · ${g.state}` : ''}`,
      ),
  )
  out.push('')
  out.push(`  executor      ${g.executor}`)
  out.push(`  created       block ${g.createdBlock}${g.proposer ? ` by ${g.proposer}` : ''}`)
  if (g.eta !== undefined && g.eta > 0n)
    out.push(`  ETA           ${new Date(Number(g.eta) * 1000).toISOString()}`)
  if (g.description) out.push(`  description   ${sanitize(g.description.split('\n')[0] ?? '').slice(0, 120)}`)
  for (const p of g.problems) out.push(`  ${s.bad('!')} ${p}`)
}

function renderSafeHeader(report: SafeReport, out: string[], s: Style) {
  const { safe, hashes, proposal } = report
  const nonce = proposal.origin.kind === 'safe' ? proposal.origin.nonce : undefined
  out.push(
    s.bold(`Safe ${safe.address}`) + s.dim(`  chain ${safe.chainId} · Safe ${safe.version} · nonce ${nonce}`),
  )
  out.push('')
  out.push(s.bold('Hashes') + s.dim('  (compare with your hardware wallet screen)'))
  out.push(`  Domain hash   ${hashes.domainHash}`)
  out.push(`  Message hash  ${hashes.messageHash}`)
  out.push(`  safeTxHash    ${hashes.safeTxHash}`)
  if (hashes.claimedSafeTxHash) {
    out.push(
      hashes.match
        ? `  claimed       ${s.ok('matches')}`
        : `  claimed       ${s.bad(`${hashes.claimedSafeTxHash}  DOES NOT MATCH`)}`,
    )
  }
  const claims = report.claims.filter((c) => c.status !== 'match' && c.status !== 'unconfirmed')
  const unconfirmed = report.claims.filter((c) => c.status === 'unconfirmed')
  if (report.claims.length) {
    out.push(
      claims.length > 0
        ? `  dataDecoded   ${s.bad(`DOES NOT MATCH the calldata (${claims.length} problem${claims.length > 1 ? 's' : ''}, see findings)`)}`
        : unconfirmed.length > 0
          ? `  dataDecoded   ${s.bad(`UNVERIFIED: claims function names custos cannot decode (at ${unconfirmed.map((c) => c.path).join(', ')})`)}`
          : `  dataDecoded   ${s.ok('matches the calldata')}`,
    )
  }
}

function renderFindings(report: Report, out: string[], s: Style): string {
  out.push(s.bold('Findings') + s.dim('  (worst first)'))
  if (report.findings.length === 0) out.push(s.dim('  none'))
  for (const f of report.findings) {
    const tag = s.level(f.severity, f.severity.toUpperCase().padEnd(8))
    out.push(`  ${tag}  ${f.guard}/${f.code}${f.path ? s.dim(` at ${f.path}`) : ''}`)
    out.push(`            ${f.message}`)
  }
  out.push('')
  out.push(
    `${s.bold('Risk:')} ${s.level(report.risk.level, report.risk.level.toUpperCase())} ${s.dim(`(score ${report.risk.score})`)}`,
  )
  return out.join('\n')
}

type Labels = Record<string, string>
const named = (address: string, labels: Labels, s: Style) =>
  labels[address] ? `${address} ${s.dim(`(${labels[address]})`)}` : address

function renderCall(c: DecodedCall, out: string[], s: Style, depth: number, labels: Labels): void {
  const pad = '  '.repeat(depth)
  const op = c.operation === 1 ? s.bad('DELEGATECALL') : c.operation === 2 ? s.bad('CREATE') : 'CALL'
  const value = c.value > 0n ? `  value ${formatEther(c.value)} ETH (${c.value} wei)` : ''
  out.push(`${pad}${s.dim(c.path.padEnd(6))}${op} ${named(c.to, labels, s)}${value}`)
  const inner = `${pad}      `
  if (c.function) {
    out.push(`${inner}${s.bold(c.function.signature)}${s.dim(`  [${c.function.abis.join(', ')}]`)}`)
    for (const a of c.function.args) {
      const text = a.type === 'address' ? named(String(a.value), labels, s) : renderArg(a)
      out.push(`${inner}  ${a.name || '_'} ${s.dim(a.type)} = ${text}`)
    }
  } else if (c.data !== '0x') {
    out.push(`${inner}data ${clip(c.data, 74)} (${(c.data.length - 2) / 2} bytes)`)
  }
  if (c.claimedFunction) {
    out.push(`${inner}${s.bad('claimed, unverified:')} ${sanitize(c.claimedFunction.signature)}`)
    for (const a of c.claimedFunction.args)
      out.push(`${inner}  ${s.dim(`${sanitize(a.name) || '_'} ${a.type} = ${renderArg(a)}  (claimed)`)}`)
  }
  if (c.decodeError) out.push(`${inner}${s.bad(`not decoded: ${c.decodeError}`)}`)
  if (c.decodeWarning) out.push(`${inner}${s.bad(`warning: ${c.decodeWarning}`)}`)
  if (c.calls?.length) {
    const how = {
      multisend: 'MultiSend batch',
      'safe-exec': 'executes',
      scheduled: 'schedules (not run now)',
      proposal: 'the proposal runs',
    }[c.nesting ?? 'multisend']
    out.push(`${inner}${s.dim(`${how}: ${c.calls.length} call${c.calls.length > 1 ? 's' : ''}`)}`)
    for (const child of c.calls) renderCall(child, out, s, depth + 1, labels)
  }
}

function renderArg(a: DecodedArg): string {
  const v = a.value
  if (typeof v === 'string' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'number')
    return clip(sanitize(String(v)), 140)
  return clip(
    sanitize(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v)),
    140,
  )
}

/** Cut to `max` characters, saying how long it was. */
const clip = (text: string, max: number) =>
  text.length > max ? `${cut(text, max)} (${text.length} chars)` : text

function renderSignature(sig: SignatureCheck, s: Style, labels: Labels): string {
  if (sig.malformed) return `${sig.index}  ${s.bad(`malformed: ${sig.malformed}`)}`
  const owner =
    sig.isOwner === undefined
      ? s.dim('owner not checked')
      : sig.isOwner
        ? s.ok('current owner')
        : s.bad('NOT AN OWNER')
  const claim =
    sig.claimedOwner && sig.claimedOwner !== sig.signer ? s.bad(` (claimed ${sig.claimedOwner})`) : ''
  const extra =
    sig.kind === 'approved-hash' && sig.approvedOnChain !== undefined
      ? sig.approvedOnChain
        ? ', approved on chain'
        : ', not approved on chain'
      : sig.kind === 'contract' && sig.eip1271Valid !== undefined
        ? sig.eip1271Valid
          ? ', EIP-1271 valid'
          : s.bad(', EIP-1271 INVALID')
        : ''
  const who =
    sig.signer && labels[sig.signer] && labels[sig.signer] !== 'owner' ? ` (${labels[sig.signer]})` : ''
  return `${sig.index}  ${(sig.kind ?? '').padEnd(13)} ${sig.signer}${who}${claim}  ${owner}${extra}`
}
