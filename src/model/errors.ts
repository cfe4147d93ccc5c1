/**
 * Errors custos raises on purpose. `InputError`: the user's input or configuration is wrong (exit 2,
 * fix the input). `RemoteError`: an RPC or API failed; `retryable` says whether trying again may help.
 */
export class CustosError extends Error {
  override name = 'CustosError'
}

export class InputError extends CustosError {
  override name = 'InputError'
}

export class RemoteError extends CustosError {
  override name = 'RemoteError'
  readonly retryable: boolean
  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, { cause: options.cause })
    this.retryable = options.retryable
  }
}

/**
 * The store cannot be opened or used: a damaged file, a failing disk, a full one. Retrying does
 * not help until the file or the disk is repaired.
 */
export class StoreError extends CustosError {
  override name = 'StoreError'
}
