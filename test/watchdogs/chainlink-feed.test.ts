import { describe, expect, it } from 'vitest'
import { chainlinkFeed } from '../../src/watchdogs/checks/chainlink-feed.js'
import { B, C, codes, FEED, facts, parseCheck } from './helpers.js'

const NOW = 1_000_000n
const PRICE = 2000n * 10n ** 8n
const round = (answer: bigint, age: number, startedAt?: bigint) =>
  [1n, answer, startedAt ?? NOW - BigInt(age), NOW - BigInt(age), 1n] as const
const base = { kind: 'chainlink-feed', feed: FEED, heartbeat: 3600, grace: 60 }
const healthy = { round: round(PRICE, 10), decimals: 8, aggregator: B, min: 10n ** 8n, max: 10n ** 14n }

const cases: Array<{
  name: string
  check?: Record<string, unknown>
  reads: Record<string, unknown>
  expect: string[]
}> = [
  { name: 'a fresh answer within its bounds', reads: healthy, expect: [] },
  {
    name: 'exactly at heartbeat plus grace (not yet stale)',
    reads: { ...healthy, round: round(PRICE, 3660) },
    expect: [],
  },
  {
    name: 'one second past heartbeat plus grace',
    reads: { ...healthy, round: round(PRICE, 3661) },
    expect: ['stale'],
  },
  {
    name: 'its own heartbeat: a day-long feed 2 hours old is fine',
    check: { heartbeat: 86_400 },
    reads: { ...healthy, round: round(PRICE, 7200) },
    expect: [],
  },
  {
    name: 'a zero answer',
    reads: { ...healthy, round: round(0n, 10) },
    expect: ['non-positive', 'at-min-answer'],
  },
  {
    name: 'a negative answer, no bounds',
    check: { bounds: 'none' },
    reads: { ...healthy, round: round(-5n, 10) },
    expect: ['non-positive'],
  },
  {
    name: 'pinned at minAnswer (LUNA)',
    reads: { ...healthy, round: round(10n ** 8n, 10) },
    expect: ['at-min-answer'],
  },
  {
    name: 'pinned at maxAnswer',
    reads: { ...healthy, round: round(10n ** 14n, 10) },
    expect: ['at-max-answer'],
  },
  {
    name: 'bounds from the config rather than the aggregator',
    check: { bounds: { min: '100000000000', max: '300000000000' } },
    reads: { round: round(10n ** 11n, 10), decimals: 8 },
    expect: ['at-min-answer'],
  },
  {
    name: 'bounds unreadable: noted, not broken',
    reads: { ...healthy, min: new Error('reverted'), max: new Error('reverted') },
    expect: [],
  },
  {
    name: 'the feed cannot be read',
    reads: { ...healthy, round: new Error('execution reverted') },
    expect: ['unreadable'],
  },
  {
    name: 'within the deviation bound of a second feed',
    check: { deviation: { against: { feed: C }, maxBps: 200 } },
    reads: { ...healthy, against: round((PRICE * 101n) / 100n, 5), againstDecimals: 8 },
    expect: [],
  },
  {
    name: 'off from a second feed with other decimals',
    check: { deviation: { against: { feed: C }, maxBps: 200 } },
    reads: { ...healthy, against: round(2100n * 10n ** 18n, 5), againstDecimals: 18 },
    expect: ['deviation'],
  },
  {
    name: 'off from a view (a TWAP) with its decimals',
    check: {
      deviation: {
        against: { call: { to: C, function: 'twap() returns (uint256)' }, decimals: 6 },
        maxBps: 50,
      },
    },
    reads: { ...healthy, against: 1980n * 10n ** 6n },
    expect: ['deviation'],
  },
  {
    name: 'a second source that cannot be read is a problem, never a pass',
    check: { deviation: { against: { feed: C }, maxBps: 200 } },
    reads: { ...healthy, against: new Error('reverted'), againstDecimals: 8 },
    expect: ['unreadable'],
  },
  {
    name: 'the sequencer is down',
    check: { sequencer: { feed: B, gracePeriod: 3600 } },
    reads: { ...healthy, sequencer: round(1n, 100) },
    expect: ['sequencer-down'],
  },
  {
    name: 'the sequencer came back within its grace period',
    check: { sequencer: { feed: B, gracePeriod: 3600 } },
    reads: { ...healthy, sequencer: round(0n, 100, NOW - 1800n) },
    expect: ['sequencer-grace'],
  },
  {
    name: 'the sequencer is up past its grace period',
    check: { sequencer: { feed: B, gracePeriod: 3600 } },
    reads: { ...healthy, sequencer: round(0n, 100, NOW - 3601n) },
    expect: [],
  },
  {
    name: 'the sequencer feed cannot be read',
    check: { sequencer: { feed: B } },
    reads: { ...healthy, sequencer: new Error('No access') },
    expect: ['unreadable'],
  },
]

describe('chainlink-feed', () => {
  it.each(cases)('$name', (c) => {
    const check = parseCheck<'chainlink-feed'>({ ...base, ...c.check })
    expect(codes(chainlinkFeed.evaluate(check, facts(c.reads, { timestamp: NOW }), undefined))).toEqual(
      c.expect,
    )
  })

  it('measures staleness past the limit (for worseBy) and notes unreadable bounds', () => {
    const check = parseCheck<'chainlink-feed'>(base)
    const stale = chainlinkFeed.evaluate(
      check,
      facts({ ...healthy, round: round(PRICE, 4000) }, { timestamp: NOW }),
      undefined,
    )
    expect(stale.problems[0]?.measure).toBe(340)
    const noted = chainlinkFeed.evaluate(
      check,
      facts({ ...healthy, min: new Error('x') }, { timestamp: NOW }),
      undefined,
    )
    expect(noted.notes?.[0]).toContain('bounds not checked')
  })

  it('reads the bounds from the aggregator the proxy names, or the feed itself, once (stable)', () => {
    const check = parseCheck<'chainlink-feed'>(base)
    expect(chainlinkFeed.reads(check).map((r) => r.key)).toEqual(['round', 'decimals', 'aggregator'])
    const behind = chainlinkFeed.followUp?.(check, facts({ aggregator: B }).reads) ?? []
    expect(behind.map((r) => [r.key, r.to, r.stable])).toEqual([
      ['min', B, true],
      ['max', B, true],
    ])
    const direct =
      chainlinkFeed.followUp?.(check, facts({ aggregator: new Error('no such function') }).reads) ?? []
    expect(direct.map((r) => r.to)).toEqual([FEED, FEED])
  })
})
