import { type Address, formatUnits, parseAbi } from 'viem'
import type { CheckProblem, ReadCall, ReadResult } from '../../model/check.js'
import { encodeConstantCall } from '../../model/constant-call.js'
import { type CheckOf, callOf, defineCheck, failureOf, readValue } from '../define.js'

// A Chainlink price feed: stale past its own heartbeat plus grace, a zero or negative answer,
// an answer pinned at the aggregator's bounds (the LUNA failure mode), off from a second source,
// and on an L2 the sequencer down or back for less than its grace period. A stale feed emits no
// event: it is only seen by reading it.

const FEED = parseAbi([
  'function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)',
  'function decimals() view returns (uint8)',
  'function aggregator() view returns (address)',
  'function minAnswer() view returns (int192)',
  'function maxAnswer() view returns (int192)',
])
const fn = (name: string) => FEED.find((f) => f.name === name) as (typeof FEED)[number]
type Round = readonly [bigint, bigint, bigint, bigint, bigint]

export const chainlinkFeed = defineCheck({
  kind: 'chainlink-feed',
  codes: [
    'stale',
    'at-min-answer',
    'at-max-answer',
    'non-positive',
    'deviation',
    'sequencer-down',
    'sequencer-grace',
    'unreadable',
  ],
  reads(c) {
    const reads: ReadCall[] = [
      callOf('round', c.feed, fn('latestRoundData')),
      { ...callOf('decimals', c.feed, fn('decimals')), stable: true },
    ]
    if (c.bounds === 'auto') reads.push(callOf('aggregator', c.feed, fn('aggregator')))
    const against = c.deviation?.against
    if (against && 'feed' in against)
      reads.push(callOf('against', against.feed, fn('latestRoundData')), {
        ...callOf('againstDecimals', against.feed, fn('decimals')),
        stable: true,
      })
    else if (against) {
      const { fn: view, args } = encodeConstantCall(against.call.function, against.call.args)
      reads.push(callOf('against', against.call.to, view, args))
    }
    if (c.sequencer) reads.push(callOf('sequencer', c.sequencer.feed, fn('latestRoundData')))
    return reads
  },
  followUp(c, first) {
    if (c.bounds !== 'auto') return []
    // The bounds live on the aggregator behind the proxy; a feed read directly may carry them itself.
    const at = readValue<Address>(first, 'aggregator') ?? c.feed
    return [
      { ...callOf('min', at, fn('minAnswer')), stable: true },
      { ...callOf('max', at, fn('maxAnswer')), stable: true },
    ]
  },
  evaluate(c, facts) {
    const { reads } = facts
    const problems: CheckProblem[] = []
    const notes: string[] = []
    const round = readValue<Round>(reads, 'round')
    if (!round) {
      problems.push({
        code: 'unreadable',
        key: 'unreadable',
        message: `latestRoundData failed: ${failureOf(reads, 'round')}`,
      })
      return { ok: false, problems, summary: 'the feed cannot be read' }
    }
    const [, answer, , updatedAt] = round
    const decimals = Number(readValue<number>(reads, 'decimals') ?? 0)
    const price = (x: bigint) => formatUnits(x, decimals)
    const age = Number(facts.timestamp - updatedAt)
    const limit = c.heartbeat + c.grace
    if (answer <= 0n)
      problems.push({
        code: 'non-positive',
        key: 'non-positive',
        message: `the answer is ${price(answer)}: a price is never zero or negative`,
      })
    if (age > limit)
      problems.push({
        code: 'stale',
        key: 'stale',
        message: `last updated ${age} s ago, past its heartbeat of ${c.heartbeat} s and ${c.grace} s of grace`,
        measure: age - limit,
      })
    problems.push(...boundProblems(c, reads, answer, price, notes))
    if (answer > 0n) problems.push(...deviationProblems(c, reads, answer, decimals))
    problems.push(...sequencerProblems(c, reads, facts.timestamp))
    return {
      ok: problems.length === 0,
      problems,
      summary: `answer ${price(answer)}, updated ${age} s ago (stale after ${limit} s)`,
      ...(notes.length ? { notes } : {}),
    }
  },
})

function boundProblems(
  c: CheckOf<'chainlink-feed'>,
  reads: ReadonlyMap<string, ReadResult>,
  answer: bigint,
  price: (x: bigint) => string,
  notes: string[],
): CheckProblem[] {
  if (c.bounds === 'none') return []
  const [min, max] =
    c.bounds === 'auto'
      ? [readValue<bigint>(reads, 'min'), readValue<bigint>(reads, 'max')]
      : [BigInt(c.bounds.min), BigInt(c.bounds.max)]
  if (min === undefined || max === undefined) {
    notes.push('bounds not checked: neither the feed nor its aggregator() has minAnswer/maxAnswer')
    return []
  }
  if (answer <= min)
    return [
      {
        code: 'at-min-answer',
        key: 'at-min-answer',
        message: `the answer ${price(answer)} is pinned at the aggregator's minAnswer ${price(min)}: the real price may be lower`,
      },
    ]
  if (answer >= max)
    return [
      {
        code: 'at-max-answer',
        key: 'at-max-answer',
        message: `the answer ${price(answer)} is pinned at the aggregator's maxAnswer ${price(max)}: the real price may be higher`,
      },
    ]
  return []
}

function deviationProblems(
  c: CheckOf<'chainlink-feed'>,
  reads: ReadonlyMap<string, ReadResult>,
  answer: bigint,
  decimals: number,
): CheckProblem[] {
  const d = c.deviation
  if (!d) return []
  const raw = reads.get('against')
  const value = raw?.ok ? (Array.isArray(raw.value) ? (raw.value[1] as unknown) : raw.value) : undefined
  const otherDecimals = 'feed' in d.against ? readValue<number>(reads, 'againstDecimals') : d.against.decimals
  if (typeof value !== 'bigint' || value <= 0n || otherDecimals === undefined)
    return [
      {
        code: 'unreadable',
        key: 'unreadable:second-source',
        message: `the second source cannot be compared: ${raw?.ok ? `it answered ${String(value)}` : failureOf(reads, 'against')}`,
      },
    ]
  // Both at 18 decimals, then the difference in basis points of the second source.
  const scale = (x: bigint, from: number) =>
    from <= 18 ? x * 10n ** BigInt(18 - from) : x / 10n ** BigInt(from - 18)
  const a = scale(answer, decimals)
  const b = scale(value, Number(otherDecimals))
  const bps = Number(((a > b ? a - b : b - a) * 1_000_000n) / b) / 100
  if (bps <= d.maxBps) return []
  return [
    {
      code: 'deviation',
      key: 'deviation',
      message: `the answer ${formatUnits(a, 18)} is ${bps} bps from the second source's ${formatUnits(b, 18)} (at most ${d.maxBps})`,
      measure: bps,
    },
  ]
}

function sequencerProblems(
  c: CheckOf<'chainlink-feed'>,
  reads: ReadonlyMap<string, ReadResult>,
  now: bigint,
): CheckProblem[] {
  if (!c.sequencer) return []
  const round = readValue<Round>(reads, 'sequencer')
  if (!round)
    return [
      {
        code: 'unreadable',
        key: 'unreadable:sequencer',
        message: `the sequencer uptime feed cannot be read: ${failureOf(reads, 'sequencer')}`,
      },
    ]
  const [, status, startedAt] = round
  // Down, then back within its grace period: one problem (one episode) until the grace is over.
  if (status === 1n)
    return [
      {
        code: 'sequencer-down',
        key: 'sequencer',
        message: 'the L2 sequencer is down: prices cannot be trusted',
      },
    ]
  const up = Number(now - startedAt)
  if (up < c.sequencer.gracePeriod)
    return [
      {
        code: 'sequencer-grace',
        key: 'sequencer',
        message: `the L2 sequencer came back ${up} s ago, within its grace period of ${c.sequencer.gracePeriod} s`,
      },
    ]
  return []
}
