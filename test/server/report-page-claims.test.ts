import { encodeFunctionData, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { plain, reportToJson } from '../../src/model/report-json.js'
import { startHttpServer } from '../../src/server/http.js'
import { createMetrics } from '../../src/server/metrics.js'
import { inspectOffline, source, TOKEN } from '../helpers/build.js'

// The report page alerts link to, served over HTTP: a claimed name for bytes custos cannot decode
// shows as a claim beside the undecoded call, never as its function.

let server: Awaited<ReturnType<typeof startHttpServer>>
let html: string

beforeAll(async () => {
  const data = encodeFunctionData({
    abi: parseAbi(['function stake(uint256 amount)']),
    functionName: 'stake',
    args: [42n],
  })
  const report = await inspectOffline(
    source(
      { to: TOKEN, data },
      { dataDecoded: { method: 'stake', parameters: [{ name: 'amount', type: 'uint256', value: '42' }] } },
    ),
  )
  const json = plain(reportToJson(report))
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    metrics: createMetrics(),
    health: () => ({ ok: true, body: {} }),
    ready: () => ({ ok: true, body: {} }),
    report: async (id) =>
      id === '1'
        ? {
            id: 1,
            proposalId: report.proposal.id,
            fingerprint: 'f',
            level: report.risk.level,
            score: report.risk.score,
            createdAt: 0,
            json,
            alert: null,
          }
        : undefined,
  })
  html = await (await fetch(`${server.url}/reports/1`)).text()
})
afterAll(async () => {
  await server?.close()
})

describe('the report page and a claimed function name', () => {
  it('shows the claimed name as unverified beside the undecoded call', () => {
    expect(html).toContain('claimed, unverified:</span> <code>stake(uint256)</code>')
    expect(html).toContain('not decoded: unknown function selector 0xa694fc3a')
    expect(html).toMatch(/id="level">MEDIUM</)
  })
})
