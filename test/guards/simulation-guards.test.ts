import { getAddress, parseEther, zeroAddress, zeroHash } from 'viem'
import { describe, expect, it } from 'vitest'
import { GUARDS } from '../../guards/index.js'
import type { SimulationResult } from '../../src/model/simulation.js'
import { ALICE, BOB, inspectWithSimulation, SAFE, simulation, TOKEN } from '../helpers/build.js'
import { guardTester, table as split } from '../helpers/guard-tester.js'

// Each simulation guard judged on recorded simulation results, as the simulate stage returns them.
const ok = (fields: Parameters<typeof simulation>[0]): SimulationResult => ({
  ok: true,
  simulation: simulation(fields),
})
const SINGLETON = getAddress('0x41675C099F32341bf84BFc5382aF534df5C7461a')
const EVIL = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')
const book = { addressBook: [{ address: BOB, name: 'Bob (signer)' }] }

type Case = { name: string; result: SimulationResult; config?: object; expect: string[] }

/** Outflows judged by their share of what the Safe held before (defaults: 5, 10 and 50 %). */
function shareCases(): Case[] {
  const held = 1000n * 10n ** 18n
  const out = (amount: bigint, token: typeof TOKEN | null = TOKEN) => ({
    standard: token ? ('erc20' as const) : ('native' as const),
    token,
    from: SAFE,
    to: BOB,
    amount,
  })
  const balances = [
    { holder: SAFE, token: TOKEN, balance: held },
    { holder: SAFE, token: 'native' as const, balance: held },
  ]
  const share = (name: string, amount: bigint, expect: string[], token: typeof TOKEN | null = TOKEN) => ({
    name,
    result: ok({ assetChanges: [out(amount, token)], balancesBefore: balances }),
    config: book,
    expect,
  })
  return [
    share('4 % of an unconfigured token', 40n * 10n ** 18n, []),
    share('5 % of an unconfigured token', 50n * 10n ** 18n, ['outflow-share:medium']),
    share('20 % of the ETH', 200n * 10n ** 18n, ['outflow-share:high'], null),
    share('52 % of an unconfigured token', 520n * 10n ** 18n, ['outflow-share:critical']),
    {
      name: 'a balance that could not be read',
      result: ok({ assetChanges: [out(1n)], balancesBefore: [] }),
      config: book,
      expect: ['outflow-share-unknown:medium'],
    },
    {
      name: 'a token the Safe held none of before (passed through)',
      result: ok({ assetChanges: [out(1n)], balancesBefore: [{ holder: SAFE, token: TOKEN, balance: 0n }] }),
      config: book,
      expect: ['outflow-share:medium'],
    },
  ]
}

const table: Record<string, Case[]> = {
  'safe-state-change': [
    { name: 'only the nonce moves', result: ok({}), expect: [] },
    {
      name: 'the singleton is replaced',
      result: ok({ safeChanges: [{ field: 'singleton', before: SINGLETON, after: EVIL }] }),
      expect: ['singleton-changed:critical'],
    },
    {
      name: 'the singleton is replaced once a guard that holds it lets it through',
      result: ok({
        safeChanges: [{ field: 'singleton', before: SINGLETON, after: EVIL }],
        guard: { address: BOB, blocked: true },
      }),
      expect: ['singleton-changed:critical'],
    },
    {
      name: 'an owner from the address book joins',
      result: ok({
        safeChanges: [{ field: 'owners', before: [ALICE], after: [ALICE, BOB], added: [BOB], removed: [] }],
      }),
      config: book,
      expect: ['owners-changed:high'],
    },
    {
      name: 'an unknown owner joins',
      result: ok({
        safeChanges: [{ field: 'owners', before: [ALICE], after: [ALICE, EVIL], added: [EVIL], removed: [] }],
      }),
      expect: ['owner-added-unknown:critical'],
    },
    {
      name: 'an owner leaves',
      result: ok({
        safeChanges: [{ field: 'owners', before: [ALICE, BOB], after: [ALICE], added: [], removed: [BOB] }],
      }),
      expect: ['owners-changed:high'],
    },
    {
      name: 'the threshold rises',
      result: ok({ safeChanges: [{ field: 'threshold', before: 2n, after: 3n }] }),
      expect: ['threshold-changed:high'],
    },
    {
      name: 'the threshold drops to 1',
      result: ok({ safeChanges: [{ field: 'threshold', before: 3n, after: 1n }] }),
      expect: ['threshold-below-minimum:critical'],
    },
    {
      name: 'the threshold drops, above a configured minimum',
      result: ok({ safeChanges: [{ field: 'threshold', before: 3n, after: 2n }] }),
      config: { guards: { 'safe-state-change': { minThreshold: 2 } } },
      expect: ['threshold-changed:high'],
    },
    {
      name: 'an unknown module',
      result: ok({
        safeChanges: [{ field: 'modules', before: [], after: [EVIL], added: [EVIL], removed: [] }],
      }),
      expect: ['module-added-unknown:critical'],
    },
    {
      name: 'a module from the address book',
      result: ok({
        safeChanges: [{ field: 'modules', before: [], after: [BOB], added: [BOB], removed: [] }],
      }),
      config: book,
      expect: ['modules-changed:high'],
    },
    {
      name: 'a module written into storage but not linked into the list',
      result: ok({
        safeChanges: [{ field: 'modules', before: [], after: [], added: [], removed: [], hidden: [EVIL] }],
      }),
      expect: ['hidden-module:critical'],
    },
    {
      name: 'the module guard changes',
      result: ok({ safeChanges: [{ field: 'moduleGuard', before: zeroAddress, after: EVIL }] }),
      expect: ['module-guard-changed:high'],
    },
    {
      name: 'the guard is removed',
      result: ok({ safeChanges: [{ field: 'guard', before: BOB, after: zeroAddress }] }),
      expect: ['guard-changed:high'],
    },
    {
      name: 'the fallback handler changes',
      result: ok({ safeChanges: [{ field: 'fallbackHandler', before: BOB, after: EVIL }] }),
      expect: ['fallback-handler-changed:high'],
    },
    {
      name: 'an unknown slot is written',
      result: ok({ safeChanges: [{ field: 'storage', slot: '0x01', before: '0x00', after: '0x01' }] }),
      expect: ['unknown-slot-written:high'],
    },
    {
      name: 'a message is signed',
      result: ok({ safeChanges: [{ field: 'signedMessages', before: '0x00', after: '0x01' }] }),
      expect: ['message-signed:medium'],
    },
    {
      name: 'the nonce jumps back (old signatures replay)',
      result: ok({ safeChanges: [{ field: 'nonce', before: 5n, after: 0n }] }),
      expect: ['nonce-rewritten:critical'],
    },
    {
      name: 'an approved hash is written',
      result: ok({ safeChanges: [{ field: 'approvedHashes', before: '0x00', after: '0x01' }] }),
      expect: ['approval-written:critical'],
    },
    {
      name: 'an owner is enabled without being listed',
      result: ok({
        safeChanges: [
          { field: 'owners', before: [ALICE], after: [ALICE], added: [], removed: [], hidden: [EVIL] },
        ],
      }),
      expect: ['hidden-owner:critical'],
    },
    {
      name: 'the owner count no longer matches the list',
      result: ok({
        safeChanges: [
          { field: 'owners', before: [ALICE], after: [ALICE, BOB], added: [BOB], removed: [] },
          { field: 'ownerCount', before: 1n, after: 5n },
        ],
      }),
      config: book,
      expect: ['owner-count-mismatch:critical', 'owners-changed:high'],
    },
    {
      name: 'the owner count follows the list',
      result: ok({
        safeChanges: [
          { field: 'owners', before: [ALICE], after: [ALICE, BOB], added: [BOB], removed: [] },
          { field: 'ownerCount', before: 1n, after: 2n },
        ],
      }),
      config: book,
      expect: ['owners-changed:high'],
    },
    { name: 'no simulation', result: { ok: false, error: 'x' }, expect: [] },
  ],
  'simulation-failed': [
    { name: 'it succeeds', result: ok({}), expect: [] },
    {
      name: 'it reverts',
      result: ok({ success: false, revertReason: 'GS013: …' }),
      expect: ['would-revert:medium'],
    },
    {
      name: 'its nonce is used',
      result: ok({ nonce: { onChain: 5n, tx: 3n, overridden: true, stale: true } }),
      expect: ['stale-nonce:info'],
    },
    {
      name: 'another guard blocks it (what it intends is judged)',
      result: ok({ guard: { address: BOB, blocked: true } }),
      expect: ['held-by-guard:medium'],
    },
    {
      name: 'the custos Guard holds it until approved or its delay passed',
      result: ok({
        guard: { address: BOB, blocked: true, custos: { runs: 'needs-schedule', reason: 'held' } },
      }),
      expect: ['held-by-guard:info'],
    },
    {
      name: 'it reverts even with the guard cleared',
      result: ok({ success: false, guard: { address: BOB, blocked: true } }),
      expect: ['would-revert:medium'],
    },
  ],
  'simulation-unavailable': [
    { name: 'a simulation ran', result: ok({}), expect: [] },
    {
      name: 'the fork could not start',
      result: { ok: false, error: 'cannot start a fork' },
      expect: ['simulation-unavailable:high'],
    },
  ],
  'asset-outflow': [
    { name: 'nothing moves', result: ok({}), expect: [] },
    {
      name: 'ETH to an address-book entry',
      result: ok({ assetChanges: [{ standard: 'native', token: null, from: SAFE, to: BOB, amount: 1n }] }),
      config: book,
      expect: [],
    },
    {
      name: 'ETH to a first-time recipient',
      result: ok({ assetChanges: [{ standard: 'native', token: null, from: SAFE, to: EVIL, amount: 1n }] }),
      expect: ['new-recipient:medium'],
    },
    {
      name: 'tokens coming in',
      result: ok({
        assetChanges: [{ standard: 'erc20', token: TOKEN, from: EVIL, to: SAFE, amount: 10n ** 30n }],
      }),
      expect: [],
    },
    {
      name: 'two transfers that together pass a threshold',
      result: ok({
        assetChanges: [1, 2].map(() => ({
          standard: 'erc20' as const,
          token: TOKEN,
          from: SAFE,
          to: BOB,
          amount: 600n * 10n ** 6n,
          decimals: 6,
        })),
      }),
      config: {
        ...book,
        tokens: [{ address: TOKEN, symbol: 'USDC', decimals: 6 }],
        guards: { 'asset-outflow': { thresholds: [{ token: TOKEN, max: '1000' }] } },
      },
      expect: ['outflow-above-threshold:high'],
    },
    {
      name: 'a total in USD above the limit',
      result: ok({
        assetChanges: [{ standard: 'native', token: null, from: SAFE, to: BOB, amount: parseEther('10') }],
      }),
      config: {
        ...book,
        guards: {
          'asset-outflow': {
            thresholds: [{ token: 'native', max: '100', usdPrice: 3000 }],
            totalMaxUsd: 20000,
          },
        },
      },
      expect: ['outflow-above-total:high'],
    },
    ...shareCases(),
  ],
  'proxy-upgrade': [
    { name: 'no upgrade', result: ok({}), expect: [] },
    {
      name: 'an implementation slot changes',
      result: ok({
        proxyUpgrades: [
          { proxy: TOKEN, kind: 'implementation', before: BOB, after: EVIL, source: 'storage' },
        ],
      }),
      expect: ['proxy-upgraded:high'],
    },
  ],
  'permission-change': [
    { name: 'no permission changes', result: ok({}), expect: [] },
    {
      name: 'ownership to the address book',
      result: ok({
        permissionChanges: [{ contract: TOKEN, kind: 'ownership', account: BOB, previous: SAFE }],
      }),
      config: book,
      expect: ['permission-changed:high'],
    },
    {
      name: 'ownership to an unknown address (Radiant)',
      result: ok({
        permissionChanges: [{ contract: TOKEN, kind: 'ownership', account: EVIL, previous: SAFE }],
      }),
      expect: ['control-to-unknown:critical'],
    },
    {
      name: 'DEFAULT_ADMIN_ROLE to an unknown address',
      result: ok({
        permissionChanges: [{ contract: TOKEN, kind: 'role-granted', account: EVIL, role: zeroHash }],
      }),
      expect: ['control-to-unknown:critical'],
    },
    {
      name: 'a minor role to an unknown address',
      result: ok({
        permissionChanges: [
          { contract: TOKEN, kind: 'role-granted', account: EVIL, role: `0x${'11'.repeat(32)}` },
        ],
      }),
      expect: ['permission-changed:high'],
    },
    {
      name: 'a role revoked',
      result: ok({
        permissionChanges: [{ contract: TOKEN, kind: 'role-revoked', account: BOB, role: zeroHash }],
      }),
      expect: ['role-revoked:high'],
    },
    {
      name: 'Ownable2Step: pending ownership to an unknown address',
      result: ok({
        permissionChanges: [{ contract: TOKEN, kind: 'ownership-pending', account: EVIL, previous: SAFE }],
      }),
      expect: ['control-to-unknown:critical'],
    },
    {
      name: 'a role admin changes',
      result: ok({
        permissionChanges: [
          { contract: TOKEN, kind: 'role-admin-changed', role: zeroHash, adminRole: `0x${'22'.repeat(32)}` },
        ],
      }),
      expect: ['role-admin-changed:high'],
    },
    {
      name: 'ownership renounced',
      result: ok({
        permissionChanges: [{ contract: TOKEN, kind: 'ownership', account: zeroAddress, previous: SAFE }],
      }),
      expect: ['control-renounced:high'],
    },
  ],
}

// SELFDESTRUCT reached is tested with the rest of that guard, in selfdestruct.test.ts.
for (const [id, cases] of Object.entries(table)) {
  const guard = GUARDS.find((g) => g.meta.id === id)
  if (!guard) throw new Error(`no guard ${id}`)
  guardTester(
    guard,
    split(cases, (c) => inspectWithSimulation(c.result, c.config ?? {})),
  )
}

describe('simulation guards without a simulation', () => {
  it('do not run when no simulation was asked for', async () => {
    const { inspectOffline, source } = await import('../helpers/build.js')
    const report = await inspectOffline(source({ to: EVIL, value: 1n }))
    const simulated = [...Object.keys(table), 'selfdestruct']
    expect(report.findings.filter((f) => simulated.includes(f.guard))).toEqual([])
  })
})
