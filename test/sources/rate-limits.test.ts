import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../../src/lab/index.js'
import { startTxServiceEmulator, type TxServiceEmulator } from '../../src/lab/tx-service.js'
import { createRateGate, watchRateLimits } from '../../src/sources/rate-gate.js'
import { createServiceClient } from '../../src/sources/tx-service.js'

let lab: Lab
let service: TxServiceEmulator
beforeAll(async () => {
  lab = await startLab()
  service = await startTxServiceEmulator(lab.rpcUrl)
})
afterAll(async () => {
  await service?.close()
  await lab?.stop()
})

describe('rate limits seen through api-kit', () => {
  it("reads the service's 429 and X-RateLimit headers from the requests api-kit makes", async () => {
    const gate = createRateGate()
    const unwatch = watchRateLimits(service.url, gate)
    const client = await createServiceClient({ chainId: lab.chainId, url: service.url })
    const safe = await lab.createSafe({ owners: [lab.accounts[1]?.address as `0x${string}`], threshold: 1 })
    service.rateLimitPerSecond = 1
    try {
      const outcomes = await Promise.allSettled([
        client.pending(safe, 0n),
        client.pending(safe, 0n),
        client.pending(safe, 0n),
      ])
      expect(outcomes.some((o) => o.status === 'rejected' && /HTTP 429/.test(String(o.reason)))).toBe(true)
      expect(gate.blockedUntil()).toBeGreaterThan(Date.now())
      const t0 = Date.now()
      await gate.wait()
      expect(Date.now() - t0).toBeGreaterThan(100)
    } finally {
      service.rateLimitPerSecond = undefined
      unwatch()
    }
  })
})
