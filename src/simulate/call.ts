import { type Address, type Hex, hexToBigInt, numberToHex } from 'viem'
import type { SimulatedCall } from '../model/check.js'
import { decodeRevert } from '../model/revert.js'
import type { Endpoint } from './endpoint.js'
import { StaleForkError } from './safe.js'
import type { RawFrame } from './trace.js'

/** One call as `from` would send it now, traced: did it succeed, what gas did it use, why did it revert. */
export type PlainCallInput = {
  from: Address
  to: Address
  data: Hex
  /** The chain's head when the call was asked for: a fork behind it is moved forward first. */
  minBlock?: bigint
}

const MAX_GAS = 30_000_000n

export async function simulatePlainCall(ep: Endpoint, input: PlainCallInput): Promise<SimulatedCall> {
  const block = await ep.request<{ number: Hex; gasLimit: Hex }>('eth_getBlockByNumber', ['latest', false])
  if (ep.mode === 'fork' && input.minBlock !== undefined && hexToBigInt(block.number) < input.minBlock)
    throw new StaleForkError(`the fork is at block ${hexToBigInt(block.number)}, behind the chain`)
  const gasLimit = hexToBigInt(block.gasLimit)
  const call = {
    from: input.from,
    to: input.to,
    data: input.data,
    gas: numberToHex(gasLimit < MAX_GAS ? gasLimit : MAX_GAS),
  }
  const frame = await ep.request<RawFrame>('debug_traceCall', [call, block.number, { tracer: 'callTracer' }])
  const gas = frame.gasUsed ? hexToBigInt(frame.gasUsed as Hex) : 0n
  if (frame.error === undefined) return { ok: true, gas }
  return {
    ok: false,
    gas: 0n,
    revertReason: decodeRevert(frame.output as Hex | undefined) ?? frame.revertReason ?? frame.error,
  }
}
