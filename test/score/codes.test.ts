import { describe, expect, it } from 'vitest'
import { GUARDS } from '../../guards/index.js'
import { configSchema } from '../../src/config/schema.js'
import { worstSeverity } from '../../src/model/guard.js'
import { closest, declaredCodes, policyFindingIssues } from '../../src/score/codes.js'
import { configureGuards } from '../../src/score/configure.js'

const config = (raw: object) => configSchema.parse(raw)

describe('declared finding codes', () => {
  it('lists every guard code and each guard-error', () => {
    const codes = declaredCodes(GUARDS)
    expect(codes).toContain('token-approval/unlimited-approval')
    expect(codes).toContain('governance-param-change/timelock-delay-lowered')
    expect(codes).toContain('nonce-competition/guard-error')
    expect(new Set(codes).size).toBe(codes.length)
  })

  it('derives the worst severity from the codes', () => {
    expect(worstSeverity({ codes: { a: 'low', b: 'high', c: 'medium' } })).toBe('high')
    expect(worstSeverity(GUARDS.find((g) => g.meta.id === 'nonce-competition')?.meta ?? { codes: {} })).toBe(
      'medium',
    )
  })

  it('suggests the nearest code for a slip, the same guard for a wrong code, nothing for a guess', () => {
    const codes = declaredCodes(GUARDS)
    expect(closest('safe-state-change/singelton-changed', codes)).toBe('safe-state-change/singleton-changed')
    expect(closest('token-approval/unlimited', codes)).toBe('token-approval/unlimited-approval')
    expect(closest('tokenapproval/approval', codes)).toBe('token-approval/approval')
    expect(closest('foo/bar', codes)).toBeUndefined()
  })
})

describe('policy.findings at boot', () => {
  it('accepts declared codes and guard-errors', () => {
    const c = config({
      policy: { findings: { 'code-pinning/code-changed': 'veto', 'selfdestruct/guard-error': 'escalate' } },
    })
    expect(policyFindingIssues(c, GUARDS)).toEqual([])
    expect(configureGuards(GUARDS, c).length).toBe(GUARDS.length)
  })

  it('refuses a key no guard declares, top level and per target, with the guard option issues', () => {
    const c = config({
      guards: { 'token-approval': { typo: 1 } },
      policy: { findings: { 'privileged-call/control-to-unkown': 'veto' } },
      governors: [
        {
          address: '0xc0da02939e1441f497fd74f78ce7decb17b66529',
          chainId: 1,
          name: 'Gov',
          policy: { findings: { 'governance-param-change/quorum-lower': 'veto' } },
        },
      ],
    })
    expect(policyFindingIssues(c, GUARDS)).toEqual([
      'policy.findings.privileged-call/control-to-unkown: no guard declares this finding (did you mean privileged-call/control-to-unknown?); `custos guards` lists every code',
      'governors[0].policy.findings.governance-param-change/quorum-lower: no guard declares this finding (did you mean governance-param-change/quorum-lowered?); `custos guards` lists every code',
    ])
    expect(() => configureGuards(GUARDS, c, 'custos.yaml')).toThrow(
      /guards\.token-approval: unknown key "typo".*policy\.findings\.privileged-call\/control-to-unkown.*governors\[0\]/,
    )
  })
})

describe('policy.findings for protocol checks', () => {
  it("accepts a check kind's declared problem codes, at the top level and in a protocol's own policy, and refuses a slip", async () => {
    const { checkCodes } = await import('../../src/watchdogs/index.js')
    const protocol = {
      name: 'Pool',
      chainId: 1,
      address: '0x00000000000000000000000000000000000000aa',
      checks: [
        {
          id: 'feed',
          kind: 'chainlink-feed',
          feed: '0x00000000000000000000000000000000000000bb',
          heartbeat: 3600,
        },
      ],
    }
    const ok = config({
      chains: { '1': { rpc: ['http://127.0.0.1:1'] } },
      policy: { findings: { 'chainlink-feed/stale': 'escalate' } },
      protocols: [{ ...protocol, policy: { findings: { 'roles/unexpected-holder': 'veto' } } }],
    })
    expect(policyFindingIssues(ok, GUARDS, checkCodes())).toEqual([])
    const slip = config({
      chains: { '1': { rpc: ['http://127.0.0.1:1'] } },
      protocols: [{ ...protocol, policy: { findings: { 'chainlink-feed/stal': 'veto' } } }],
    })
    expect(policyFindingIssues(slip, GUARDS, checkCodes())).toEqual([
      expect.stringMatching(
        /^protocols\[0\]\.policy\.findings\.chainlink-feed\/stal: .*did you mean chainlink-feed\/stale/,
      ),
    ])
  })
})
