import type { CheckConfig } from '../config/protocols.js'
import { chainlinkFeed } from './checks/chainlink-feed.js'
import { invariant } from './checks/invariant.js'
import { pauseReady } from './checks/pause-ready.js'
import { paused } from './checks/paused.js'
import { roles } from './checks/roles.js'
import type { CheckKindDef } from './define.js'

// The check kinds, one per file under checks/ (file name = kind), listed here: no folder scanning.

export const CHECKS: { [K in CheckConfig['kind']]: CheckKindDef<K> } = {
  'chainlink-feed': chainlinkFeed,
  paused,
  roles,
  'pause-ready': pauseReady,
  invariant,
}

/** The definition of a check's kind. */
export const checkKind = <K extends CheckConfig['kind']>(kind: K): CheckKindDef<K> => CHECKS[kind]

/** Every `<kind>/<code>` a protocol check can report, for the policy's finding rules. */
export const checkCodes = (): string[] =>
  Object.values(CHECKS).flatMap((def) => def.codes.map((code) => `${def.kind}/${code}`))
