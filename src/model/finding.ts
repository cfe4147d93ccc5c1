import type { Severity } from './severity.js'

/** One thing a guard noticed. `code` is stable and machine-readable; `message` is for people. */
export type Finding = {
  /** Id of the guard that raised it (the guard's file name). */
  guard: string
  /** Stable, kebab-case reason within the guard, e.g. `untrusted-target`. */
  code: string
  severity: Severity
  message: string
  /** Where in the call tree it applies, e.g. `0.2` (see DecodedCall.path). */
  path?: string
}
