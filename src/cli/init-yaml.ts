import { type Address, zeroAddress } from 'viem'
import type { DiscoveredGovernor, DiscoveredSafe, DiscoveredTimelock } from '../pipeline/discover.js'

// The configuration `custos init` writes: only what differs from the defaults, each line
// commented, so that a newcomer reads it top to bottom and `config check` accepts it as is.

export type InitFacts = {
  chainId: number
  block: bigint
  rpcEnv: string
  txService?: string
  apiKeyEnv?: string
  safes: Array<DiscoveredSafe & { name: string }>
  governors: Array<DiscoveredGovernor & { name: string }>
  timelocks: Array<DiscoveredTimelock & { name: string }>
  dataDir: string
  writtenAt: Date
}

export const shortAddress = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`
const q = (s: string) => JSON.stringify(s)
const list = (xs: Address[]) => `[${xs.map(q).join(', ')}]`
const none = (a: Address) => (a === zeroAddress ? 'none' : a)

export function renderInitConfig(f: InitFacts): string {
  const out: string[] = []
  const line = (s = '') => out.push(s)
  line(`# custos configuration, written by \`custos init\` on ${f.writtenAt.toISOString().slice(0, 10)}`)
  line(`# from what chain ${f.chainId} said at block ${f.block}.`)
  line('# Check it:  npx custos config check --config <this file>')
  line('# Run it:    npx custos run --config <this file>')
  line('# Every field and its default: docs/configuration.md (or `npx custos config docs`).')
  line('version: 1')
  line()
  line('chains:')
  line(`  ${q(String(f.chainId))}:`)
  line('    # RPC endpoints, read from the environment: an RPC URL often carries a key, so it is never')
  line('    # written here. Add more entries to fail over between nodes.')
  line('    rpc:')
  line(`      - { env: ${f.rpcEnv} }`)
  if (f.txService) {
    line('    # The Safe Transaction Service custos polls for queued transactions.')
    line(`    txService: ${q(f.txService)}`)
  } else if (f.safes.length) {
    line("    # Safe's hosted transaction service (the default) needs an API key.")
  }
  if (f.apiKeyEnv) {
    line('    # The environment variable holding the transaction service API key.')
    line(`    txServiceApiKeyEnv: ${f.apiKeyEnv}`)
  }
  const owners = [
    ...new Map(f.safes.flatMap((s) => s.owners.map((o) => [o.toLowerCase(), { o, s }]))).values(),
  ]
  if (owners.length) {
    line()
    line('# Named addresses: findings use these names, and an address listed here counts as known')
    line('# (an owner added who is not listed is critical). Add your counterparties and contracts.')
    line('addressBook:')
    for (const { o, s } of owners)
      line(`  - { address: ${q(o)}, name: ${q(`owner ${shortAddress(o)} of ${s.name}`)} }`)
  }
  if (f.safes.length) {
    line()
    line('# The Safes `custos run` watches. `expected` is what the chain said when this file was')
    line('# written: any later difference (an owner added, a module enabled, the guard removed) is a')
    line('# drift alert. Update it when you change the Safe on purpose.')
    line('safes:')
    for (const s of f.safes) {
      line(`  - address: ${q(s.address)}`)
      line(`    chainId: ${f.chainId}`)
      line(`    name: ${q(s.name)}`)
      line(`    # Safe ${s.version}, nonce ${s.nonce}, ${s.owners.length} owners, threshold ${s.threshold}`)
      line('    expected:')
      line(`      owners: ${list(s.owners)}`)
      line(`      threshold: ${s.threshold}`)
      line(`      # modules: ${s.modules.length ? s.modules.join(', ') : 'none'}`)
      line(`      modules: ${list(s.modules)}`)
      line(`      # guard: ${none(s.guard)} (the zero address means none)`)
      line(`      guard: ${q(s.guard)}`)
      line(`      fallbackHandler: ${q(s.fallbackHandler)}`)
      line(`      singleton: ${q(s.singleton)}`)
    }
  }
  if (f.governors.length) {
    line()
    line("# Governors whose proposals `custos run` reads, simulates and judges. A governor's own")
    line('# timelock is followed through it: do not list it under `timelocks`.')
    line('governors:')
    for (const g of f.governors) {
      line(`  - address: ${q(g.address)}`)
      line(`    chainId: ${f.chainId}`)
      line(`    name: ${q(g.name)}`)
      const facts = [
        g.flavor === 'oz' ? 'OpenZeppelin Governor' : 'GovernorBravo-style',
        g.timelock ? `timelock ${g.timelock}` : 'no timelock',
        ...(g.delay !== undefined ? [`delay ${g.delay} s`] : []),
        g.guardian ? `guardian ${g.guardian}` : 'no proposal guardian',
      ]
      line(`    # ${facts.join(', ')}`)
    }
  }
  if (f.timelocks.length) {
    line()
    line('# TimelockControllers whose operations are scheduled directly (by a multisig, a bridge).')
    line('timelocks:')
    for (const t of f.timelocks) {
      line(`  - address: ${q(t.address)}`)
      line(`    chainId: ${f.chainId}`)
      line(`    name: ${q(t.name)}`)
      line(`    # TimelockController, minimum delay ${t.delay} s`)
    }
  }
  line()
  line('# Alerts go to the console (stdout). Discord, Slack, Telegram, PagerDuty and webhooks:')
  line('# docs/chat.md.')
  line('notify:')
  line('  console: { enabled: true, minLevel: info }')
  line()
  line('# /healthz, /readyz, /metrics and the report pages alerts link to (loopback only).')
  line('server: { host: 127.0.0.1, port: 8080 }')
  line()
  line('# Where custos keeps its state (a SQLite file), relative to this file.')
  line(`dataDir: ${q(f.dataDir)}`)
  return `${out.join('\n')}\n`
}
