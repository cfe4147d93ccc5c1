import { InputError } from './errors.js'
import type { SafeVersion } from './safe.js'

/** Every Safe release whose transaction hash we know how to compute. */
export const KNOWN_SAFE_VERSIONS = ['0.1.0', '1.0.0', '1.1.1', '1.2.0', '1.3.0', '1.4.1', '1.5.0'] as const

/**
 * Parses `1.3.0`, `v1.3.0`, `1.3.0+L2` or `1.3.0-L2`. The L2 flavour hashes exactly like the L1
 * one; it is kept because it changes which events the Safe emits.
 */
export function parseSafeVersion(raw: string): SafeVersion {
  const match = /^v?(\d+\.\d+\.\d+)(?:[+-](l2))?$/i.exec(raw.trim())
  const version = match?.[1]
  if (!version || !(KNOWN_SAFE_VERSIONS as readonly string[]).includes(version)) {
    throw new InputError(
      `unsupported Safe version "${raw}": expected one of ${KNOWN_SAFE_VERSIONS.join(', ')} (optionally with +L2)`,
    )
  }
  return { version, l2: match?.[2] !== undefined }
}

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/**
 * Why a Safe of `version` cannot run `operation`, or undefined when it can: CREATE (2) left the
 * Safe's Enum.Operation in 1.1.0, after which execTransaction reverts on it.
 */
export function unsupportedOperation(version: string, operation: number): string | undefined {
  if (operation === 0 || operation === 1) return undefined
  if (operation === 2 && compareVersions(version, '1.1.0') < 0) return undefined
  return `operation ${operation}${operation === 2 ? ' (CREATE) exists only in Safe 0.1.0 and 1.0.0;' : ' exists in no Safe;'} Safe ${version} takes 0 (CALL) or 1 (DELEGATECALL)`
}
