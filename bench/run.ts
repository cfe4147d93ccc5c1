// npm run bench: every figure in one run, on this machine. Writes bench/results/latest.md and
// latest.json. BENCH_ONLY=simulation|watch runs one part.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { anvilBinary } from '../src/simulate/anvil.js'
import { type Row, simulationBench } from './simulate.js'
import { round } from './stats.js'
import { type LatencyRow, type ScaleRow, watchBench } from './watch.js'

const only = process.env.BENCH_ONLY
const simulation: Row[] = only === 'watch' ? [] : await simulationBench()
const watch: { latency: LatencyRow[]; scale: ScaleRow[] } =
  only === 'simulation' ? { latency: [], scale: [] } : await watchBench()

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: round(totalmem() / 2 ** 30),
  node: process.version,
  anvil: execFileSync(anvilBinary(), ['--version'], { encoding: 'utf8' }).split('\n')[0],
  date: new Date().toISOString(),
}
const dir = join(import.meta.dirname, '../../bench/results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ machine, simulation, watch }, null, 2)}\n`)
const lines = [
  '# custos benchmark',
  '',
  `${machine.date} · ${machine.cpu} (${machine.cores} cores, ${machine.memoryGb} GiB) · Node ${machine.node} · ${machine.anvil}`,
  '',
  '## Simulation of one Safe transaction (lab chain behind a latency proxy)',
  '',
  'Five kinds of transaction in turn (ETH transfer, ERC20 transfer, MultiSend of three transfers, owner change, Bybit-style DELEGATECALL).',
  '',
  '| approach | added latency per request | n | p50 ms | p95 ms | mean ms | upstream requests per simulation |',
  '|---|---|---|---|---|---|---|',
  ...simulation.map(
    (r) =>
      `| ${r.approach} | ${r.latencyMs} ms | ${r.n} | ${r.p50} | ${r.p95} | ${r.mean} | ${r.requestsPerSim} |`,
  ),
  '',
  '## End to end: a transaction reaching the service emulator → its stored report → its alert',
  '',
  '`custos run` as a process, watching N Safes on the lab; the alert goes to a webhook receiver on loopback.',
  '',
  '| watched Safes | how it learns | poll interval | n | report p50 ms | report p95 ms | alert p50 ms | alert p95 ms | service requests per Safe per poll |',
  '|---|---|---|---|---|---|---|---|---|',
  ...watch.latency.map(
    (r) =>
      `| ${r.safes} | ${r.mode} | ${r.intervalSeconds} s | ${r.n} | ${r.reportP50} | ${r.reportP95} | ${r.alertP50} | ${r.alertP95} | ${r.mode === 'push' ? '–' : r.serviceRequestsPerSafePerPoll} |`,
  ),
  '',
  '## Scale: watching 1,000 Safes',
  '',
  '| Safes | poll interval | seconds | bot RSS p50 MB | bot RSS max MB | JS heap used max MB | bot CPU % | service requests per Safe per minute | RPC requests per Safe per minute |',
  '|---|---|---|---|---|---|---|---|---|',
  ...watch.scale.map(
    (r) =>
      `| ${r.safes} | ${r.intervalSeconds} s | ${r.seconds} | ${r.rssMbP50} | ${r.rssMbMax} | ${r.heapUsedMbMax} | ${r.cpuPercent} | ${r.serviceRequestsPerSafePerMinute} | ${r.rpcRequestsPerSafePerMinute} |`,
  ),
  '',
]
writeFileSync(join(dir, 'latest.md'), lines.join('\n'))
process.stdout.write(lines.join('\n'))
