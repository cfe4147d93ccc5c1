import { type Address, encodeAbiParameters, type Hex, hexToBigInt, numberToHex } from 'viem'
import type { FunctionRegistry } from '../model/decoded.js'
import { remoteError } from '../model/errors.js'
import type { TokenInfo } from '../model/guard.js'
import type { Call } from '../model/proposal.js'
import type { AccountDiff, Simulation, TraceCall } from '../model/simulation.js'
import { BATCH_SENDER, BATCHER_CODE, EXECUTOR_SHADOW } from './batcher.js'
import type { Endpoint } from './endpoint.js'
import { effectsOf, traceCallWithDiff } from './outcome.js'
import { StaleForkError } from './safe.js'
import { tokenInfoCalls } from './tokens.js'
import { flattenTrace } from './trace.js'

const MAX_GAS = 30_000_000n

export type GovernanceSimInput = {
  chainId: number
  /** Whose authority runs the calls: the timelock, or the governor when it has none. */
  executor: Address
  calls: Call[]
  registry: FunctionRegistry
  tokens: TokenInfo[]
  /** The block the proposal was created in: a fork older than that does not know its world. */
  minBlock?: bigint
}

/**
 * Runs a proposal's calls as its executor would, in one traced call with state overrides (so
 * nothing on the fork changes and simulations can run side by side): the executor's code is
 * replaced by a batcher that makes the calls from the executor's address with its real balance,
 * and the real code is moved aside so that any call back into the executor (a timelock changing
 * its own delay, a token's callback) still runs it. A governor function guarded by
 * `onlyGovernance` behind a timelock also wants its own bookkeeping of the execution, which
 * this does not fake: such a call reverts here, and the simulation says so.
 */
export async function simulateGovernanceCalls(ep: Endpoint, input: GovernanceSimInput): Promise<Simulation> {
  const started = performance.now()
  const block = await ep.request<{ number: Hex; gasLimit: Hex }>('eth_getBlockByNumber', ['latest', false])
  if (ep.mode === 'fork' && input.minBlock !== undefined && hexToBigInt(block.number) < input.minBlock)
    throw new StaleForkError(`the fork is at block ${hexToBigInt(block.number)}, before the proposal`)
  const data = encodeAbiParameters(
    [
      {
        type: 'tuple[]',
        components: [
          { name: 'to', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'data', type: 'bytes' },
        ],
      },
    ],
    [input.calls.map((c) => ({ to: c.to, value: c.value, data: c.data }))],
  )
  const gasLimit = hexToBigInt(block.gasLimit)
  const call = {
    from: BATCH_SENDER,
    to: input.executor,
    data,
    gas: numberToHex(gasLimit < MAX_GAS ? gasLimit : MAX_GAS),
  }
  // The calls are known before the executor's code is: a fork learns what they read while it
  // reads that code. The executor's real code matters to calls back into it, which are announced
  // on their own, as the executor calling itself; so is the token metadata the effects look up.
  const expect = ep.expect
  const hints = expect
    ? [
        expect('debug_traceCall', [
          call,
          block.number,
          { stateOverrides: { [input.executor]: { code: BATCHER_CODE }, [EXECUTOR_SHADOW]: {} } },
        ]),
        ...input.calls
          .filter((c) => c.to.toLowerCase() === input.executor.toLowerCase())
          .map((c) =>
            expect('debug_traceCall', [
              { from: input.executor, to: c.to, data: c.data, value: numberToHex(c.value), gas: call.gas },
              block.number,
              {},
            ]),
          ),
        ...tokenInfoCalls(
          input.chainId,
          input.calls.map((c) => c.to),
          input.tokens,
        ).map((c) => expect('eth_call', [c, block.number])),
      ]
    : []
  let code: Hex
  try {
    code = await ep.request<Hex>('eth_getCode', [input.executor, block.number])
  } finally {
    for (const h of hints) h()
  }
  if (code === '0x')
    throw remoteError(`the executor ${input.executor} has no code on this chain`, { retryable: false })
  const overrides = { [input.executor]: { code: BATCHER_CODE }, [EXECUTOR_SHADOW]: { code } }
  const { trace, logs, diff } = await traceCallWithDiff(ep, call, block.number, overrides, input.registry)
  // The overridden code is the simulation's scaffolding, not an effect of the proposal.
  const storageDiff = diff
    .filter((d) => d.address !== BATCH_SENDER && d.address !== EXECUTOR_SHADOW)
    .map((d): AccountDiff => {
      if (d.address !== input.executor) return d
      const { code: _code, ...rest } = d
      return rest
    })
    .filter((d) => d.balance || d.nonce || d.code || d.storage.length)
  const success = trace.error === undefined
  const sim: Simulation = {
    mode: ep.mode,
    block: hexToBigInt(block.number),
    from: input.executor,
    success,
    gasUsed: trace.gasUsed,
    trace,
    logs,
    safeChanges: [],
    nestedSafeChanges: [],
    ...(await effectsOf(trace, logs, storageDiff, {
      ep,
      tokens: input.tokens,
      chainId: input.chainId,
      block: block.number,
    })),
    storageDiff,
    durationMs: 0,
  }
  const reason = failure(trace, input.calls.length)
  if (reason) sim.revertReason = reason
  sim.durationMs = Math.round(performance.now() - started)
  return sim
}

/** Which call failed, and why (the innermost reason beneath it). */
function failure(trace: TraceCall, calls: number): string | undefined {
  if (!trace.error) return undefined
  const index = trace.calls.findIndex((c) => c.error !== undefined)
  const deepest = flattenTrace(trace)
    .filter((f) => f.error !== undefined)
    .at(-1)
  const which = index >= 0 && calls > 1 ? `call ${index + 1} of ${calls} reverted` : 'the proposal reverts'
  return `${which}: ${deepest?.error ?? trace.error}`
}
