import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorText, redactUrls } from '../../src/model/redact.js'
import { freePort } from '../../src/simulate/anvil.js'
import { createRpcClient } from '../../src/sources/rpc.js'

// An RPC failure reads the same in logs, /readyz and alerts: which endpoint (redacted) and what
// happened, from the real viem client against loopback servers.

let server: Server
let base: string
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/slow')) return // never answers
    res.writeHead(401, { 'content-type': 'text/plain' })
    res.end('invalid api key')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

const failure = async (url: string) => {
  try {
    await createRpcClient([url], { timeoutMs: 500 }).getBlockNumber()
  } catch (error) {
    return errorText(error)
  }
  throw new Error('expected the call to fail')
}

describe('RPC failures in words', () => {
  it('says connection refused, HTTP status or timeout, with the endpoint redacted', async () => {
    const closed = await freePort()
    expect(await failure(`http://127.0.0.1:${closed}/v2/secret`)).toBe(
      `RPC http://127.0.0.1:${closed}/…: connection refused`,
    )
    expect(await failure(`${base}/v2/secret`)).toBe(`RPC ${base}/…: HTTP 401`)
    expect(await failure(`${base}/slow/secret`)).toBe(`RPC ${base}/…: no answer (timed out)`)
  })

  it('keeps the punctuation after a URL out of the URL', () => {
    expect(redactUrls('RPC https://node.example/v2/key: connection refused.')).toBe(
      'RPC https://node.example/…: connection refused.',
    )
  })
})
