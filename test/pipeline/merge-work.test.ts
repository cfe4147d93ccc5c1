import { describe, expect, it } from 'vitest'
import { mergeWork, noWork } from '../../src/pipeline/context.js'

// Work from several items of one poll is merged into one commit; a batch with a condition is not.

describe('mergeWork', () => {
  it('appends each list of the batch, the vetoes and the guardian actions', () => {
    const a = { batch: { audit: [{ actor: 'a', action: 'x', subject: '1' }] }, veto: ['p1'] }
    const b = {
      batch: { audit: [{ actor: 'b', action: 'y', subject: '2' }], outbox: [] },
      veto: ['p2'],
      guardian: [{ id: 'p3', action: 'approve' as const }],
    }
    const merged = mergeWork(a, b)
    expect(merged.batch.audit?.map((e) => e.actor)).toEqual(['a', 'b'])
    expect(merged.veto).toEqual(['p1', 'p2'])
    expect(merged.guardian).toEqual([{ id: 'p3', action: 'approve' }])
  })

  it.each([
    ['a cursor condition', { ifCursor: { source: 's', chainId: 1, value: '' } }],
    [
      'an escalation condition',
      {
        ifEscalation: {
          ...{ proposalId: 'p', level: 'high' as const, stage: 'posted' as const, round: 1 },
          ...{ nextAt: 0, status: 'open' as const, startedAt: 0 },
        },
      },
    ],
  ])('refuses to merge a batch with %s (it would be dropped, or hold back the rest)', (_name, batch) => {
    expect(() => mergeWork(noWork(), { batch, veto: [] })).toThrow(/committed on its own/)
    expect(() => mergeWork({ batch, veto: [] }, noWork())).toThrow(/committed on its own/)
  })
})
