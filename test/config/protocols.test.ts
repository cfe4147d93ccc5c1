import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfigText } from '../../src/config/load.js'

// The protocols section is checked when the configuration loads: signatures, constants and CEL
// expressions, the pauses checks name, one target per address. A configuration that loads is one
// custos can run.

const POOL = '0x00000000000000000000000000000000000000a1'
const FEED = '0x00000000000000000000000000000000000000f1'
const SAFE = '0x00000000000000000000000000000000000000b2'

const yaml = (protocol: Record<string, unknown>, top: Record<string, unknown> = {}) =>
  JSON.stringify({
    chains: { '1': { rpc: ['http://127.0.0.1:8545'] } },
    protocols: [{ name: 'Lending market', chainId: 1, address: POOL, ...protocol }],
    ...top,
  })
const feed = { id: 'eth-usd', kind: 'chainlink-feed', feed: FEED, heartbeat: 3600 }
const invariant = (expression: string, measure?: string) => ({
  id: 'reserves',
  kind: 'invariant',
  calls: {
    reserves: { to: POOL, function: 'getReserves() returns (int256)' },
    target: { to: POOL, function: 'targetReserves() returns (uint256)' },
  },
  expression,
  ...(measure ? { measure } : {}),
})

const issues = (text: string): string[] => {
  try {
    parseConfigText(text, 'test.yaml')
    return []
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
}

describe('protocols in the configuration', () => {
  it('loads a protocol with each kind of check, the defaults filled in', () => {
    const { config } = parseConfigText(
      yaml({
        pauses: [{ name: 'pool', target: POOL, function: 'pause(bool,bool)', args: [true, false] }],
        checks: [
          { ...feed, sequencer: { feed: FEED } },
          { id: 'running', kind: 'paused', contracts: [{ address: POOL }] },
          {
            id: 'guardian',
            kind: 'roles',
            contract: POOL,
            holders: [{ role: 'PAUSE_GUARDIAN_ROLE', expected: [SAFE] }],
          },
          { id: 'pause-path', kind: 'pause-ready', sender: SAFE },
          { ...invariant('reserves >= target * 0.9', 'target - reserves'), action: 'pause' },
        ],
      }),
      'test.yaml',
    )
    const [p] = config.protocols
    expect(p?.checks.map((c) => [c.id, c.level, c.every])).toEqual([
      ['eth-usd', 'high', 'block'],
      ['running', 'high', 'block'],
      ['guardian', 'high', 'block'],
      ['pause-path', 'high', 60],
      ['reserves', 'high', 'block'],
    ])
    expect(p?.checks[0]).toMatchObject({ grace: 60, bounds: 'auto', sequencer: { gracePeriod: 3600 } })
    expect(config.veto.pauses).toEqual({ enabled: false, dryRun: true })
    expect(config.sources.protocols).toEqual({ enabled: true, intervalSeconds: 2 })
  })

  it.each([
    [
      'an expression that does not type-check',
      invariant('reserves + "x" > target'),
      'checks[0].expression',
      'no such overload',
    ],
    [
      'an expression with an unknown name',
      invariant('reserve >= target'),
      'checks[0].expression',
      'Unknown variable: reserve',
    ],
    ['an expression that does not parse', invariant('reserves >='), 'checks[0].expression', 'Unexpected'],
    [
      'an expression that is not a bool',
      invariant('reserves - target'),
      'checks[0].expression',
      'not a bool',
    ],
    [
      'a measure that is not a number',
      invariant('reserves >= target', 'reserves >= 1.0'),
      'checks[0].measure',
      'not a number',
    ],
    [
      'a call whose signature does not parse',
      { ...invariant('r > 0.0'), calls: { r: { to: POOL, function: 'getReserves( returns (int256)' } } },
      'checks[0].calls.r.function',
      'not a function signature',
    ],
    [
      'a call without a result',
      { ...invariant('r > 0.0'), calls: { r: { to: POOL, function: 'getReserves()' } } },
      'checks[0].expression',
      'returns nothing',
    ],
  ])('rejects %s, naming where', (_name, check, path, message) => {
    const found = issues(yaml({ checks: [check] }))
    expect(
      found.find((i) => i.startsWith(`protocols[0].${path}:`)),
      found.join('\n'),
    ).toContain(message)
  })

  it.each([
    [
      'a pause whose arguments do not fit its signature',
      { pauses: [{ name: 'p', target: POOL, function: 'pause(bool)', args: [1] }], checks: [feed] },
      'protocols[0].pauses[0].function',
      'expected true or false',
    ],
    [
      'a pause with too many arguments',
      { pauses: [{ name: 'p', target: POOL, function: 'pause()', args: [true] }], checks: [feed] },
      'protocols[0].pauses[0].function',
      'takes 0 argument',
    ],
    [
      'action: pause without a pause',
      { checks: [{ ...feed, action: 'pause' }] },
      'protocols[0].checks[0].pause',
      'lists no pauses',
    ],
    [
      'a pause name that does not exist',
      { pauses: [{ name: 'p', target: POOL, function: 'pause()' }], checks: [{ ...feed, pause: 'q' }] },
      'protocols[0].checks[0].pause',
      'no pause named q',
    ],
    [
      'two pauses and a check that names neither',
      {
        pauses: [
          { name: 'p', target: POOL, function: 'pause()' },
          { name: 'q', target: POOL, function: 'pause()' },
        ],
        checks: [{ id: 'x', kind: 'pause-ready', sender: SAFE }],
      },
      'protocols[0].checks[0].pause',
      'name the pause',
    ],
    ['two checks with one id', { checks: [feed, feed] }, 'protocols[0].checks[1].id', 'used twice'],
    [
      'a per-feed heartbeat left out',
      { checks: [{ id: 'f', kind: 'chainlink-feed', feed: FEED }] },
      'protocols[0].checks[0].heartbeat',
      '',
    ],
    [
      'a check kind custos does not have',
      { checks: [{ id: 'f', kind: 'oracle' }] },
      'protocols[0].checks[0].kind',
      '',
    ],
  ])('rejects %s', (_name, protocol, path, message) => {
    const found = issues(yaml(protocol))
    expect(
      found.find((i) => i.startsWith(`${path}:`)),
      found.join('\n'),
    ).toContain(message)
  })

  it('rejects a protocol keyed by an address already watched as a Safe', () => {
    const found = issues(yaml({ checks: [feed] }, { safes: [{ address: POOL, chainId: 1, name: 'Vault' }] }))
    expect(found).toContain(
      'protocols[0].address: already watched as a Safe, governor or timelock: give the protocol another of its contracts',
    )
  })
})
