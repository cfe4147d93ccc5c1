import { formatEther, formatUnits } from 'viem'
import type { Alert } from '../model/alert.js'
import type { DecodedCall } from '../model/decoded.js'
import type { CheckFacts, Report } from '../model/report.js'
import { type AssetChange, intentOf, type SafeChange } from '../model/simulation.js'
import { sanitize } from '../model/text.js'

type Names = Record<string, string>
const named = (a: string, names: Names) => (names[a] ? `${names[a]} (${a.slice(0, 6)}…${a.slice(-4)})` : a)

/** One line saying what a call does, from the decoded bytes (never from a claim). */
export function describeCall(c: DecodedCall, names: Names): string {
  const to = named(c.to, names)
  if (c.calls?.length && (c.nesting === 'multisend' || c.nesting === 'proposal')) {
    const inner = c.calls
      .slice(0, 2)
      .map((x) => describeCall(x, names))
      .join('; ')
    return `batch of ${c.calls.length} calls: ${inner}${c.calls.length > 2 ? '; …' : ''}`
  }
  const op = c.operation === 1 ? 'DELEGATECALL to ' : ''
  if (c.function) {
    const args = c.function.args.map((a) => short(a.value, names)).join(', ')
    return `${op}${to}: ${c.function.name}(${args})${c.value > 0n ? ` with ${formatEther(c.value)} ETH` : ''}`
  }
  if (c.data === '0x')
    return c.operation === 1
      ? `DELEGATECALL to ${to} with no data`
      : `sends ${formatEther(c.value)} ETH to ${to}`
  return `${op}${to}: unknown function ${c.selector ?? c.data.slice(0, 10)}`
}

const short = (v: unknown, names: Names): string => {
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v))
    return names[v] ?? `${v.slice(0, 6)}…${v.slice(-4)}`
  if (typeof v === 'string') return sanitize(v.length > 20 ? `${v.slice(0, 10)}…` : v)
  if (typeof v === 'bigint') return v.toString()
  if (Array.isArray(v)) return `[${v.length}]`
  return String(v)
}

export function describeAsset(c: AssetChange, names: Names): string {
  const amount =
    c.standard === 'erc721'
      ? `NFT #${c.tokenId} of ${c.symbol ?? c.token}`
      : c.standard === 'native'
        ? `${formatEther(c.amount)} ETH`
        : `${c.decimals !== undefined ? formatUnits(c.amount, c.decimals) : c.amount} ${c.symbol ?? c.token}`
  return `${amount}: ${named(c.from, names)} → ${named(c.to, names)}`
}

export function describeSafeChange(c: SafeChange, names: Names): string {
  if (c.field === 'owners' || c.field === 'modules') {
    return `${c.field} ${[...(c.added ?? []).map((a) => `+${named(a, names)}`), ...(c.removed ?? []).map((a) => `-${named(a, names)}`)].join(' ')}`
  }
  const v = (x: unknown) => (typeof x === 'string' && x.length === 42 ? named(x, names) : String(x))
  return c.field === 'storage'
    ? `storage slot ${c.slot} ${v(c.before)} → ${v(c.after)}`
    : `${c.field} ${v(c.before)} → ${v(c.after)}`
}

/** The alert for a report: level and Safe in the title, the call in one line, the top findings. */
export function alertFromReport(
  report: Report,
  opts: {
    /** The watched target's name (the Safe, the governor, the timelock). */
    targetName?: string
    link?: string
    dedupKey: string
    ref?: string
    /** It already ran (or was cancelled) before custos could alert: said in the title. */
    ended?: string
    /** The Safe runs the custos Guard with custos as guardian (its alert gets an Approve button). */
    guarded?: boolean
  },
): Alert {
  if (report.check) return checkAlert(report, report.check, opts)
  const names = report.labels
  const origin = report.proposal.origin
  // What it does once let through: a guard holding it (the custos Guard, until approved) hides nothing.
  const intent = intentOf(report.simulation)
  const sim = intent?.ok ? intent.simulation : undefined
  // "Treasury · nonce 12" for a Safe; "Compound governor · proposal 289" for governance.
  const where =
    origin.kind === 'safe'
      ? `${opts.targetName ?? origin.safe} · nonce ${origin.nonce}`
      : origin.kind === 'governor'
        ? `${opts.targetName ?? origin.governor} · proposal ${origin.proposalId}`
        : origin.kind === 'timelock'
          ? `${opts.targetName ?? origin.timelock} · operation ${origin.operationId.slice(0, 10)}…`
          : `${opts.targetName ?? report.proposal.executor}`
  return {
    kind: 'report',
    level: report.risk.level,
    title: `${report.risk.level.toUpperCase()} · ${where}${opts.ended ? ` · already ${opts.ended}` : ''}`,
    summary: describeCall(report.call, names),
    chainId: report.proposal.chainId,
    ...(origin.kind === 'safe' ? { safe: origin.safe } : {}),
    ...(origin.kind === 'safe' && opts.guarded ? { guarded: true as const } : {}),
    proposalId: report.proposal.id,
    ...(opts.ref ? { ref: opts.ref } : {}),
    ...(report.hashes
      ? {
          hashes: {
            domainHash: report.hashes.domainHash,
            messageHash: report.hashes.messageHash,
            safeTxHash: report.hashes.safeTxHash,
          },
        }
      : {}),
    findings: report.findings.map((f) => ({
      severity: f.severity,
      guard: f.guard,
      code: f.code,
      message: f.message,
    })),
    ...(sim ? { assetChanges: sim.assetChanges.map((c) => describeAsset(c, names)) } : {}),
    ...(sim
      ? {
          safeChanges: sim.safeChanges
            .filter((c) => c.field !== 'nonce' && c.field !== 'ownerCount')
            .map((c) => describeSafeChange(c, names)),
        }
      : {}),
    ...(opts.link ? { link: opts.link } : {}),
    dedupKey: opts.dedupKey,
    createdAt: report.checkedAt,
  }
}

/** A protocol check's alert: what broke in the title, the first problem and what was read below. */
function checkAlert(
  report: Report,
  check: CheckFacts,
  opts: { targetName?: string; link?: string; dedupKey: string; ref?: string },
): Alert {
  const worse = check.raised > 1 ? ' · worse' : ''
  const [first] = check.problems
  return {
    kind: 'report',
    level: report.risk.level,
    title: `${report.risk.level.toUpperCase()} · ${opts.targetName ?? check.protocol} · check ${check.id}${worse}`,
    summary: [first?.message, check.worse && check.raised > 1 ? `(${check.worse})` : undefined, check.summary]
      .filter(Boolean)
      .join(' · '),
    chainId: report.proposal.chainId,
    proposalId: report.proposal.id,
    ...(opts.ref ? { ref: opts.ref } : {}),
    findings: report.findings.map((f) => ({
      severity: f.severity,
      guard: f.guard,
      code: f.code,
      message: f.message,
    })),
    ...(check.pause
      ? { pause: `${check.pause.name}: ${check.pause.signature} on ${check.pause.target}` }
      : {}),
    ...(opts.link ? { link: opts.link } : {}),
    dedupKey: opts.dedupKey,
    createdAt: report.checkedAt,
  }
}
