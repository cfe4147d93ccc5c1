import { describe, expect, it } from 'vitest'
import type { Alert } from '../../src/model/alert.js'
import { parseButtonId, stateLines } from '../../src/respond/chat.js'
import { alertButtons } from '../../src/respond/discord-render.js'

// The buttons a Discord message carries: Veto on a transaction or a proposal; on a protocol
// check, Pause when its protocol has a pause to send, and never Veto.

const alert = (over: Partial<Alert>): Alert => ({
  kind: 'report',
  level: 'high',
  title: 'HIGH · x',
  summary: 's',
  proposalId: '1:safe:0xab',
  ref: 'Q2xhdWRlQ3VzdG9z',
  findings: [],
  dedupKey: 'k',
  createdAt: '2025-01-01T00:00:00.000Z',
  ...over,
})
const labels = (a: Alert, closed = false) =>
  alertButtons(a, { status: closed ? 'resolved' : 'pending', acks: [], vetoRequests: [] })[0]?.components.map(
    (b) => ['label' in b ? b.label : '', 'custom_id' in b ? parseButtonId(b.custom_id)?.action : 'link'],
  )

describe('chat buttons and state for protocol checks', () => {
  it('puts Pause on a check with a pause, nothing to veto on one without, Veto elsewhere', () => {
    const check = '1:check:0xpool:reserves:1'
    expect(labels(alert({ proposalId: check, pause: 'pool: pause() on 0xpool' }))).toEqual([
      ['Acknowledge', 'ack'],
      ['Escalate', 'escalate'],
      ['Pause', 'pause'],
    ])
    expect(labels(alert({ proposalId: check }))).toEqual([
      ['Acknowledge', 'ack'],
      ['Escalate', 'escalate'],
    ])
    expect(labels(alert({}))?.map((l) => l[1])).toEqual(['ack', 'escalate', 'veto'])
    // Resolved: the buttons go.
    expect(labels(alert({ proposalId: check, pause: 'p' }), true)).toBeUndefined()
  })

  it('says a check recovered, and what custos did about its pause', () => {
    expect(stateLines({ status: 'resolved', acks: [], vetoRequests: [], check: true })).toEqual([
      '✅ Recovered: the check passes again',
    ])
    expect(
      stateLines({ status: 'pending', acks: [], vetoRequests: [], check: true, vetoes: ['sent'] }),
    ).toEqual(['⏸️ custos paused the protocol on chain (unpausing is never automatic)'])
  })
})
