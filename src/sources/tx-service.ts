import type ApiKitModule from '@safe-global/api-kit'
import type { Address, Hash, Hex } from 'viem'
import { type FatalError, InputError, type RetryableError, remoteError } from '../model/errors.js'
import { redactUrls } from '../model/redact.js'
import type { SafeTx } from '../model/safe.js'
import { parseServiceTx, type ServiceTx } from './tx-json.js'

export type TxServiceOptions = { chainId: number; url?: string; apiKey?: string }

type SafeApiKit = InstanceType<typeof ApiKitModule.default>

// Loaded on first use: api-kit takes half a second to import, which offline inspects do not need.
// It ships CommonJS-style typings with an ESM build: TypeScript sees the module object where Node
// gives the class itself.
export async function loadApiKit(): Promise<typeof ApiKitModule.default> {
  const mod = (await import('@safe-global/api-kit')).default
  return ((mod as unknown as { default?: unknown }).default ?? mod) as typeof ApiKitModule.default
}

const PAGE = 100
const MAX_PAGES = 20

/** A thin adapter over api-kit for the watch loop: pending transactions from a nonce on, validated. */
export async function createServiceClient(opts: TxServiceOptions) {
  const SafeApiKit = await loadApiKit()
  const kit = new SafeApiKit({
    chainId: BigInt(opts.chainId),
    ...(opts.url ? { txServiceUrl: opts.url } : {}),
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
  })
  return {
    /**
     * A lying or broken entry does not hide the others: it is returned as a problem (an alert),
     * and the rest is checked. Past the page cap, the lowest nonces (the next to execute) are kept.
     */
    async pending(
      safe: Address,
      fromNonce: bigint,
      pageSize = PAGE,
    ): Promise<{ txs: ServiceTx[]; problems: string[] }> {
      const out: ServiceTx[] = []
      const problems: string[] = []
      let seen = 0
      for (let page = 0; page < MAX_PAGES; page++) {
        let response: { count: number; results: unknown[] }
        try {
          response = (await kit.getMultisigTransactions(safe, {
            executed: false,
            nonce__gte: fromNonce.toString(),
            ordering: 'nonce',
            limit: pageSize,
            offset: page * pageSize,
          })) as never
        } catch (cause) {
          throw serviceError(cause)
        }
        if (!response || !Array.isArray(response.results)) {
          throw remoteError('transaction service returned a response without a `results` list', {
            retryable: false,
          })
        }
        for (const [i, raw] of response.results.entries()) {
          seen++
          let parsed: ServiceTx
          try {
            parsed = parseServiceTx(raw, `transaction service result ${page * pageSize + i} for ${safe}`)
          } catch (error) {
            problems.push((error as Error).message)
            continue
          }
          if (parsed.tx.safe !== safe) {
            problems.push(
              `transaction service returned a transaction of Safe ${parsed.tx.safe} when asked for ${safe}`,
            )
          } else if (parsed.tx.nonce >= fromNonce) out.push(parsed)
        }
        if (response.results.length < pageSize || seen >= response.count) return { txs: out, problems }
      }
      problems.push(
        `more than ${pageSize * MAX_PAGES} pending transactions: only the ${seen} with the lowest nonces were checked`,
      )
      return { txs: out, problems }
    },
    /** Proposes a transaction custos built and signed itself (a veto's rejection). */
    async propose(input: {
      safe: Address
      tx: SafeTx
      safeTxHash: Hash
      sender: Address
      signature: Hex
    }): Promise<void> {
      const { tx } = input
      // custos proposes rejections only; api-kit knows CALL and DELEGATECALL, not legacy CREATE.
      if (tx.operation === 2) throw new InputError('the transaction service takes only operation 0 or 1')
      try {
        await kit.proposeTransaction({
          safeAddress: input.safe,
          safeTransactionData: {
            to: tx.to,
            value: tx.value.toString(),
            data: tx.data,
            operation: tx.operation,
            safeTxGas: tx.safeTxGas.toString(),
            baseGas: tx.baseGas.toString(),
            gasPrice: tx.gasPrice.toString(),
            gasToken: tx.gasToken,
            refundReceiver: tx.refundReceiver,
            nonce: Number(tx.nonce),
          },
          safeTxHash: input.safeTxHash,
          senderAddress: input.sender,
          senderSignature: input.signature,
        })
      } catch (cause) {
        throw serviceError(cause)
      }
    },
  }
}
export type ServiceClient = Awaited<ReturnType<typeof createServiceClient>>

function serviceError(cause: unknown): RetryableError | FatalError {
  const status = (cause as { statusCode?: number }).statusCode
  const reason = redactUrls((cause as Error).message ?? String(cause))
  return remoteError(`transaction service request failed${status ? ` (HTTP ${status})` : ''}: ${reason}`, {
    cause,
    retryable: status === undefined || status === 429 || status >= 500,
  })
}

/**
 * Every transaction the service holds for one Safe at one nonce: competing transactions are kept,
 * since several candidates for one nonce are themselves a signal. Each result is validated as
 * untrusted input; a result for another Safe or nonce is an error, not data.
 */
export async function fetchTransactionsAtNonce(
  opts: TxServiceOptions,
  safe: Address,
  nonce: bigint,
): Promise<ServiceTx[]> {
  let kit: SafeApiKit
  try {
    const SafeApiKit = await loadApiKit()
    kit = new SafeApiKit({
      chainId: BigInt(opts.chainId),
      ...(opts.url ? { txServiceUrl: opts.url } : {}),
      ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
    })
  } catch (cause) {
    throw remoteError(`cannot use the transaction service: ${(cause as Error).message}`, {
      cause,
      retryable: false,
    })
  }
  const out: ServiceTx[] = []
  for (let page = 0; page < MAX_PAGES; page++) {
    let response: { count: number; results: unknown[] }
    try {
      response = (await kit.getMultisigTransactions(safe, {
        nonce: nonce.toString(),
        limit: PAGE,
        offset: page * PAGE,
      })) as never
    } catch (cause) {
      const status = (cause as { statusCode?: number }).statusCode
      const reason = redactUrls((cause as Error).message ?? String(cause))
      throw remoteError(`transaction service request failed${status ? ` (HTTP ${status})` : ''}: ${reason}`, {
        cause,
        retryable: status === undefined || status === 429 || status >= 500,
      })
    }
    if (!response || !Array.isArray(response.results)) {
      throw remoteError('transaction service returned a response without a `results` list', {
        retryable: false,
      })
    }
    for (const [i, raw] of response.results.entries()) {
      const parsed = parseServiceTx(raw, `transaction service result ${page * PAGE + i}`)
      if (parsed.tx.safe !== safe) {
        throw remoteError(
          `transaction service returned a transaction of Safe ${parsed.tx.safe} when asked for ${safe}`,
          { retryable: false },
        )
      }
      if (parsed.tx.nonce !== nonce) {
        throw remoteError(
          `transaction service returned nonce ${parsed.tx.nonce} when asked for nonce ${nonce}`,
          { retryable: false },
        )
      }
      out.push(parsed)
    }
    if (response.results.length < PAGE || out.length >= response.count) return out
  }
  throw remoteError(`more than ${PAGE * MAX_PAGES} transactions at nonce ${nonce}: refusing to continue`, {
    retryable: false,
  })
}
