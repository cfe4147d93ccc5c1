import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEndpoint } from '../../src/simulate/endpoint.js'
import { withTokenInfo } from '../../src/simulate/tokens.js'

// A read whose failure has a meaning ("no decimals()") falls back only when the node answered:
// a node that did not answer fails the simulation instead of making it read less (and the token
// is not remembered as having no decimals).

let mode: 'revert' | 'down' | 'ok' = 'revert'
const server = createServer((req, res) => {
  let body = ''
  req.on('data', (c) => {
    body += c
  })
  req.on('end', () => {
    const { id } = JSON.parse(body) as { id: number }
    if (mode === 'down') {
      res.writeHead(503).end('upstream unavailable')
      return
    }
    const answer =
      mode === 'revert'
        ? { jsonrpc: '2.0', id, error: { code: 3, message: 'execution reverted' } }
        : // decimals() and symbol() both answered with 6 (symbol then fails to decode: shown by address)
          { jsonrpc: '2.0', id, result: `0x${'6'.padStart(64, '0')}` }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
  })
})
let url = ''
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

const change = (token: `0x${string}`) => ({
  standard: 'erc20' as const,
  token,
  from: '0x00000000000000000000000000000000000000a1' as const,
  to: '0x00000000000000000000000000000000000000a2' as const,
  amount: 10n,
})

describe('reads that may fail', () => {
  it('a token whose decimals() reverts is shown in base units', async () => {
    mode = 'revert'
    const [c] = await withTokenInfo(
      [change('0x00000000000000000000000000000000000000b1')],
      [],
      createEndpoint(url, 'fork', 2000),
      1,
      '0x1',
    )
    expect(c).not.toHaveProperty('decimals')
  })

  it('a node that does not answer fails the read, and the token is read again once it does', async () => {
    const token = '0x00000000000000000000000000000000000000b2'
    const ep = createEndpoint(url, 'fork', 2000)
    mode = 'down'
    await expect(withTokenInfo([change(token)], [], ep, 1, '0x1')).rejects.toThrow(/HTTP 503/)
    mode = 'ok'
    const [c] = await withTokenInfo([change(token)], [], ep, 1, '0x1')
    expect(c).toMatchObject({ decimals: 6 })
  })
})
