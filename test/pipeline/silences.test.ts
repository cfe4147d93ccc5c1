import { describe, expect, it } from 'vitest'
import type { WatchContext } from '../../src/pipeline/context.js'
import { createSafeStates } from '../../src/pipeline/context.js'
import { createSilenceWatch } from '../../src/pipeline/silences.js'
import { openSqliteStore } from '../../src/store/sqlite.js'

// A silence changes what the policy does with a target's proposals, so they are judged again
// when it ends; among replicas, also when one began or changed through another replica's chat
// (that replica judged again itself, but the target's source may be led here).

const target = { key: '1:0xsafe', chainId: 1, address: '0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe' }

function world(replicated: boolean) {
  let now = 1000
  const store = openSqliteStore(':memory:', () => now)
  const safes = createSafeStates()
  const ctx = {
    store,
    safes,
    clock: () => now,
    targets: { all: [target] },
    commit: (b: Parameters<typeof store.commit>[0]) => store.commit(b).then(() => undefined),
    ...(replicated ? { cluster: { replicated: true } } : {}),
  } as unknown as WatchContext
  return { ctx, store, safes, later: (ms: number) => (now += ms) }
}

describe('the silence watch', () => {
  for (const replicated of [false, true])
    it(`judges a target again when its silence ends${replicated ? ', begins or moves (replicas)' : ''}`, async () => {
      const { ctx, store, safes, later } = world(replicated)
      const look = createSilenceWatch(ctx)
      await look()
      await store.commit({ silences: [{ target: target.key, until: 5000, actor: 'alice' }] })
      await look()
      expect(safes.epoch(target.key)).toBe(replicated ? 1 : 0)
      await store.commit({ silences: [{ target: target.key, until: 9000, actor: 'bob' }] })
      await look()
      expect(safes.epoch(target.key)).toBe(replicated ? 2 : 0)
      await look()
      expect(safes.epoch(target.key)).toBe(replicated ? 2 : 0)
      later(10_000)
      await look()
      expect(safes.epoch(target.key)).toBe(replicated ? 3 : 1)
      await store.close()
    })
})
