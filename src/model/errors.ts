// Errors custos raises on purpose, shaped as viem's and ponder's are: a short message a person
// reads in one line, optional details, the `cause` kept, and a class that says what to do next.
// Callers branch on the class, never on the text:
// - `InputError`: the user's input or configuration is wrong (exit 2; fix the input);
// - `RetryableError`: a node, an API or a process failed in a way that trying again may fix
//   (a timeout, a 5xx, a 429, a dropped connection); long-lived loops retry at their next tick;
// - `FatalError`: trying again cannot help (a contract that is not what it should be, a closed
//   simulator); long-lived loops report it through `onFatalError` and keep the rest running.

export type CustosErrorOptions = { cause?: unknown; details?: string }

export class CustosError extends Error {
  override name = 'CustosError'
  /** The one line to show. */
  readonly shortMessage: string
  /** What else is known (a response body, the endpoint), for logs. */
  readonly details: string | undefined
  constructor(shortMessage: string, options: CustosErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, {
      cause: options.cause,
    })
    this.shortMessage = shortMessage
    this.details = options.details
  }

  /** This error and its causes, outermost first; with `fn`, the first one it accepts. */
  walk(fn?: (e: unknown) => boolean): unknown {
    return walk(this, fn)
  }
}

export class InputError extends CustosError {
  override name = 'InputError'
}

/** Trying again may help. */
export class RetryableError extends CustosError {
  override name = 'RetryableError'
}

/** Trying again cannot help. */
export class FatalError extends CustosError {
  override name = 'FatalError'
}

/** An error and its chain of causes, outermost first; with `fn`, the first one it accepts. */
export function walk(error: unknown, fn?: (e: unknown) => boolean): unknown {
  const seen = new Set<unknown>()
  let e: unknown = error
  while (e !== undefined && e !== null && !seen.has(e)) {
    if (fn?.(e)) return e
    seen.add(e)
    e = (e as { cause?: unknown }).cause
  }
  return fn ? undefined : [...seen].at(-1)
}

/** Whether trying again may help: a RetryableError anywhere in the chain, and no FatalError before it. */
export function isRetryable(error: unknown): boolean {
  const found = walk(error, (e) => e instanceof RetryableError || e instanceof FatalError)
  return found instanceof RetryableError
}

/** Whether trying again cannot help. */
export const isFatal = (error: unknown): boolean =>
  walk(error, (e) => e instanceof FatalError || e instanceof RetryableError) instanceof FatalError

/** A failure of a node, an API or a process, retryable or not as its cause says. */
export function remoteError(
  message: string,
  options: CustosErrorOptions & { retryable: boolean },
): RetryableError | FatalError {
  const { retryable, ...rest } = options
  return retryable ? new RetryableError(message, rest) : new FatalError(message, rest)
}

/**
 * The store cannot be opened or used: a damaged file, a failing disk, a full one. Retrying does
 * not help until the file or the disk is repaired.
 */
export class StoreError extends CustosError {
  override name = 'StoreError'
}
