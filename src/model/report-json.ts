import type { DecodedCall } from './decoded.js'
import type { Report } from './report.js'

/** The machine-readable shape of a report: bigints as decimal strings, operations spelled out. */
export function reportToJson(report: Report) {
  const { proposal, safe, hashes } = report
  const tx = proposal.origin.kind === 'safe' ? proposal.origin.tx : undefined
  return plain({
    id: proposal.id,
    chainId: proposal.chainId,
    ...(safe
      ? {
          safe: {
            address: safe.address,
            version: safe.version,
            ...(safe.state
              ? { owners: safe.state.owners, threshold: safe.state.threshold, nonce: safe.state.nonce }
              : {}),
          },
        }
      : {}),
    ...(report.governance ? { governance: report.governance, executor: proposal.executor } : {}),
    ...(report.check ? { check: report.check } : {}),
    transaction: tx ? { ...tx, operation: tx.operation } : undefined,
    ...(hashes ? { hashes: { ...hashes, claimedSafeTxHash: hashes.claimedSafeTxHash ?? null } } : {}),
    simulation: report.simulation
      ? report.simulation.ok
        ? { available: true, ...report.simulation.simulation }
        : { available: false, error: report.simulation.error }
      : undefined,
    // A check's episode makes no calls of its own (its pause, if any, is under `check.pause`).
    calls: report.check ? [] : [callToJson(report.call)],
    signatures: report.signatures,
    claims: report.claims,
    findings: report.findings,
    risk: report.risk,
    labels: report.labels,
    checkedAt: report.checkedAt,
  })
}

function callToJson(c: DecodedCall): Record<string, unknown> {
  return {
    path: c.path,
    from: c.from,
    to: c.to,
    value: c.value,
    operation: (['call', 'delegatecall', 'create'] as const)[c.operation],
    data: c.data,
    function: c.function?.signature ?? null,
    abis: c.function?.abis,
    args: c.function?.args,
    // A source's signature for bytes custos cannot decode: shown, never trusted.
    claimedFunction: c.claimedFunction
      ? { signature: c.claimedFunction.signature, verified: false, args: c.claimedFunction.args }
      : undefined,
    decodeError: c.decodeError,
    decodeWarning: c.decodeWarning,
    nesting: c.nesting,
    calls: c.calls?.map(callToJson),
  }
}

/** Deep copy with bigints as strings and undefined fields dropped, ready for JSON.stringify. */
export function plain<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))
}
