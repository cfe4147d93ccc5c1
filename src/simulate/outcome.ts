import type { Address, Hex } from 'viem'
import type { FunctionRegistry } from '../model/decoded.js'
import type { TokenInfo } from '../model/guard.js'
import type { AccountDiff, SimLog, Simulation, TraceCall } from '../model/simulation.js'
import { parsePrestateDiff, type RawPrestateDiff } from './diff.js'
import { approvals, assetChanges, codeChanges, permissionChanges, proxyUpgrades } from './effects.js'
import type { Endpoint } from './endpoint.js'
import { balancesBefore, withTokenInfo } from './tokens.js'
import { parseTrace, type RawFrame } from './trace.js'

// What every simulation does with a node's answer: trace one call two ways (the call tree with
// logs, and the state diff), and read the effects from them. Safe transactions and governance
// proposals differ in what they run, not in how its outcome is read.

/** debug_traceCall of `call` at `block` with the state overrides: the call tree and the diff. */
export async function traceCallWithDiff(
  ep: Endpoint,
  call: Record<string, unknown>,
  block: Hex,
  overrides: Record<Address, Record<string, unknown>>,
  registry: FunctionRegistry,
): Promise<{ trace: TraceCall; logs: SimLog[]; diff: AccountDiff[] }> {
  const [rawTrace, rawDiff] = await Promise.all([
    ep.request<RawFrame>('debug_traceCall', [
      call,
      block,
      { tracer: 'callTracer', tracerConfig: { withLog: true }, stateOverrides: overrides },
    ]),
    ep.request<RawPrestateDiff>('debug_traceCall', [
      call,
      block,
      { tracer: 'prestateTracer', tracerConfig: { diffMode: true }, stateOverrides: overrides },
    ]),
  ])
  return { ...parseTrace(rawTrace, registry), diff: parsePrestateDiff(rawDiff) }
}

/** The effects a trace and its state diff show: assets moved, approvals, upgrades, roles, code. */
export async function effectsOf(
  trace: TraceCall,
  logs: SimLog[],
  storageDiff: AccountDiff[],
  ctx: { ep: Endpoint; tokens: TokenInfo[]; chainId: number; block: Hex; holder?: Address },
): Promise<
  Pick<
    Simulation,
    'assetChanges' | 'balancesBefore' | 'approvals' | 'proxyUpgrades' | 'permissionChanges' | 'codeChanges'
  >
> {
  const moved = assetChanges(trace, logs)
  return {
    assetChanges: await withTokenInfo(moved, ctx.tokens, ctx.ep, ctx.chainId, ctx.block),
    // The share of what leaves is judged against what the holder had: read at the same block.
    ...(ctx.holder ? { balancesBefore: await balancesBefore(moved, ctx.holder, ctx.ep, ctx.block) } : {}),
    approvals: approvals(logs),
    proxyUpgrades: proxyUpgrades(storageDiff, logs),
    permissionChanges: permissionChanges(logs),
    codeChanges: codeChanges(trace),
  }
}
