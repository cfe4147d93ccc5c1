import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { encodeFunctionData, getAddress, parseAbi } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { plain, reportToJson } from '../../src/model/report-json.js'
import { startHttpServer } from '../../src/server/http.js'
import { createMetrics } from '../../src/server/metrics.js'
import { openSqliteStore } from '../../src/store/sqlite.js'
import { inspectWithSimulation, simulation, source } from '../helpers/build.js'

// The report page in a real browser: Debian's chromium (installed by .ci/run), driven by
// playwright-core. Without a browser the test fails in CI and is skipped, loudly, elsewhere.
const executable = process.env.CUSTOS_CHROMIUM ?? '/usr/bin/chromium'
const haveBrowser = existsSync(executable)
if (!haveBrowser && process.env.CI)
  throw new Error(`chromium not found at ${executable}: .ci/run installs it`)
if (!haveBrowser)
  console.warn(
    `skipping the browser test: no chromium at ${executable} (apt-get install chromium, or set CUSTOS_CHROMIUM)`,
  )

const MALICIOUS = getAddress('0x96221423681A6d52E184D440a8eFCEbB105C7242')
const EVIL = getAddress('0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516')

let browser: Browser
let server: Awaited<ReturnType<typeof startHttpServer>>
let reportId: number
let proposalId: string

beforeAll(async () => {
  if (!haveBrowser) return
  const store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'custos-page-')), 'db.sqlite'))
  // A hostile string in the calldata must show as text, never run as markup.
  const data = encodeFunctionData({
    abi: parseAbi(['function note(string)']),
    functionName: 'note',
    args: ['<script>alert(1)</script><img src=x onerror=alert(2)>'],
  })
  const report = await inspectWithSimulation(
    {
      ok: true,
      simulation: simulation({
        safeChanges: [
          { field: 'singleton', before: '0x41675C099F32341bf84BFc5382aF534df5C7461a', after: EVIL },
        ],
      }),
    },
    { abis: [{ name: 'notes', signatures: ['function note(string text)'] }] },
    source({ to: MALICIOUS, operation: 1, data }),
  )
  proposalId = report.proposal.id
  await store.commit({
    proposals: [
      {
        id: proposalId,
        chainId: 1,
        target: { kind: 'safe', address: report.safe.address },
        key: '0',
        origin: report.proposal.origin,
        calls: report.proposal.calls,
        fingerprint: 'f',
        status: 'pending',
        level: report.risk.level,
      },
    ],
    reports: [
      {
        proposalId,
        fingerprint: 'f',
        level: report.risk.level,
        score: report.risk.score,
        findings: report.findings,
        json: plain(reportToJson(report)),
      },
    ],
  })
  reportId = 1
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    metrics: createMetrics(),
    health: () => ({ ok: true, body: {} }),
    ready: () => ({ ok: true, body: {} }),
    report: async (id) => (/^\d+$/.test(id) ? store.getReport(Number(id)) : store.latestReport(id)),
  })
  browser = await chromium.launch({
    executablePath: executable,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe.skipIf(!haveBrowser)('the report page, in headless Chromium', () => {
  it('shows the level, the three hashes, the simulation, the findings and the call tree', async () => {
    const page = await browser.newPage()
    const dialogs: string[] = []
    page.on('dialog', async (d) => {
      dialogs.push(d.message())
      await d.dismiss()
    })
    const res = await page.goto(`${server.url}/reports/${encodeURIComponent(proposalId)}`)
    expect(res?.status()).toBe(200)
    expect(await page.locator('#level').innerText()).toBe('CRITICAL')
    const hashes = await page.locator('#hashes').innerText()
    expect(hashes).toMatch(/Domain hash\s+0x[0-9a-f]{64}/)
    expect(hashes).toMatch(/Message hash\s+0x[0-9a-f]{64}/)
    expect(hashes).toMatch(/safeTxHash\s+0x[0-9a-f]{64}/)
    expect(await page.locator('#sim-result').innerText()).toMatch(/^Succeeds/)
    const findings = await page.locator('#findings').innerText()
    expect(findings).toContain('delegatecall-untrusted/untrusted-delegatecall')
    expect(findings).toContain('safe-state-change/singleton-changed')
    const body = await page.locator('body').innerText()
    expect(body).toContain('DELEGATECALL')
    expect(body).toContain('<script>alert(1)</script><img src=x onerror=alert(2)>')
    expect(await page.locator('script').count()).toBe(0)
    expect(dialogs).toEqual([])
    await page.close()
  })

  it('serves the same report by number and as JSON, and 404s for an unknown one', async () => {
    const page = await browser.newPage()
    expect((await page.goto(`${server.url}/reports/${reportId}`))?.status()).toBe(200)
    const json = (await (await fetch(`${server.url}/reports/${reportId}.json`)).json()) as {
      risk: { level: string }
    }
    expect(json.risk.level).toBe('critical')
    expect((await page.goto(`${server.url}/reports/999`))?.status()).toBe(404)
    await page.close()
  })
})
