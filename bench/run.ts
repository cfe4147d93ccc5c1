// npm run bench: every figure in one run, on this machine. Writes bench/results/latest.md and
// latest.json. BENCH_ONLY runs some parts only (comma-separated): simulation, cold (cold
// simulations of state-heavy transactions, with and without prefetch), e2e (Safes end to end),
// governance (governor end to end), scale (1,000 Safes and 100 governors), soak, inputs (hostile
// inputs to inspect), guard (the custos Guard's gas), watchdogs (500 feed checks per block, stale
// feed to alert), replicas (PostgreSQL replicas: failover, and end to end beside SQLite); `watch`
// is e2e, governance and scale. The parts not run keep their previous
// figures and dates. BENCH_BEFORE: a built checkout whose custos the governance part also
// measures, side by side (BENCH_BEFORE_LABEL names it).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { anvilBinary } from '../src/simulate/anvil.js'
import { type ColdRow, type ColdScenario, coldBench } from './cold.js'
import { type GuardGasBreakdown, type GuardGasRow, guardBench } from './guard.js'
import { type InputRow, inputsBench } from './inputs.js'
import { type ReplicasResults, replicasBench } from './replicas.js'
import { type Row, simulationBench } from './simulate.js'
import { type SoakRow, soakBench } from './soak.js'
import { round } from './stats.js'
import { type GovernanceRow, type LatencyRow, type ScaleRow, watchBench } from './watch.js'
import { type RoundRow, type StaleRow, watchdogBench } from './watchdogs.js'

const PARTS = [
  'simulation',
  'cold',
  'e2e',
  'governance',
  'scale',
  'soak',
  'inputs',
  'guard',
  'watchdogs',
  'replicas',
] as const
type Part = (typeof PARTS)[number]
type Results = {
  machine: Record<string, string | number>
  /** When each part was last measured (ISO date). */
  measured: Partial<Record<Part, string>>
  simulation: Row[]
  cold: { rows: ColdRow[]; scenarios: ColdScenario[] }
  watch: {
    latency: LatencyRow[]
    governance: GovernanceRow[]
    scale: (Partial<ScaleRow> & { measured?: string | undefined })[]
  }
  soak: SoakRow[]
  inputs: InputRow[]
  guard: GuardGasRow[]
  guardBreakdown: GuardGasBreakdown[]
  watchdogs: { rounds: RoundRow[]; stale: StaleRow[] }
  replicas?: ReplicasResults
}

const requested = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .flatMap((s) => (s === 'watch' ? ['e2e', 'governance', 'scale'] : [s]))
for (const r of requested)
  if (!(PARTS as readonly string[]).includes(r)) throw new Error(`bench: unknown BENCH_ONLY part ${r}`)
const run = new Set<Part>(requested.length ? (requested as Part[]) : PARTS)

const dir = join(import.meta.dirname, '../../bench/results')
mkdirSync(dir, { recursive: true })
const jsonPath = join(dir, 'latest.json')
const previous: Partial<Results> = existsSync(jsonPath)
  ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as Partial<Results>)
  : {}
const previousDate = String(previous.machine?.date ?? '')
const measured: Partial<Record<Part, string>> = {}
for (const p of PARTS) {
  const date = previous.measured?.[p] ?? previousDate
  if (date) measured[p] = date
}

const date = new Date().toISOString()
const simulation: Row[] = run.has('simulation') ? await simulationBench() : (previous.simulation ?? [])
const cold: Results['cold'] = run.has('cold')
  ? await coldBench()
  : (previous.cold ?? { rows: [], scenarios: [] })
const fresh =
  run.has('e2e') || run.has('governance') || run.has('scale')
    ? await watchBench({ e2e: run.has('e2e'), governance: run.has('governance'), scale: run.has('scale') })
    : undefined
const watch: Results['watch'] = {
  latency: fresh && run.has('e2e') ? fresh.latency : (previous.watch?.latency ?? []),
  governance: fresh && run.has('governance') ? fresh.governance : (previous.watch?.governance ?? []),
  // A scale row per bot NODE_OPTIONS (BENCH_BOT_NODE_OPTIONS): a new row replaces the one with the
  // same options and the others stay, each with its date.
  scale:
    fresh && run.has('scale')
      ? [
          ...(previous.watch?.scale ?? [])
            .filter((r) => !fresh.scale.some((f) => f.nodeOptions === (r.nodeOptions ?? '')))
            .map((r) => ({ ...r, measured: r.measured ?? measured.scale })),
          ...fresh.scale.map((r) => ({ ...r, measured: date })),
        ]
      : (previous.watch?.scale ?? []),
}
const soak: SoakRow[] = run.has('soak') ? await soakBench() : (previous.soak ?? [])
const inputs: InputRow[] = run.has('inputs') ? await inputsBench() : (previous.inputs ?? [])
const guardRun = run.has('guard') ? await guardBench() : undefined
const guard: GuardGasRow[] = guardRun?.rows ?? previous.guard ?? []
const guardBreakdown: GuardGasBreakdown[] = guardRun?.breakdown ?? previous.guardBreakdown ?? []
const watchdogs: Results['watchdogs'] = run.has('watchdogs')
  ? await watchdogBench()
  : (previous.watchdogs ?? { rounds: [], stale: [] })
const replicas = run.has('replicas') ? await replicasBench() : previous.replicas
for (const p of run) measured[p] = date

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: round(totalmem() / 2 ** 30),
  node: process.version,
  anvil: execFileSync(anvilBinary(), ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '',
  date,
}
const results: Results = {
  ...{ machine, measured, simulation, cold, watch, soak, inputs, guard, guardBreakdown, watchdogs },
  ...(replicas ? { replicas } : {}),
}
writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`)

const when = (p: Part) =>
  run.has(p) ? `measured in this run (${date})` : `kept from an earlier run (${measured[p] ?? 'never run'})`
const dash = (v: string | number | undefined) => (v === undefined || v === '' ? '–' : String(v))
const lines = [
  '# custos benchmark',
  '',
  `${machine.date} · ${machine.cpu} (${machine.cores} cores, ${machine.memoryGb} GiB) · Node ${machine.node} · ${machine.anvil}`,
  '',
  `This run measured: ${[...run].join(', ')}. Each section says when its figures were measured.`,
  '',
  '## Simulation of one Safe transaction (lab chain behind a latency proxy)',
  '',
  `Figures ${when('simulation')}.`,
  '',
  'Five kinds of transaction in turn (ETH transfer, ERC20 transfer, MultiSend of three transfers, owner change, Bybit-style DELEGATECALL). The warm fork prefetches (the default); a fresh fork per transaction stands for a script that starts anvil for each one, reading lazily.',
  '',
  '| approach | added latency per request | n | p50 ms | p95 ms | mean ms | upstream requests per simulation |',
  '|---|---|---|---|---|---|---|',
  ...simulation.map(
    (r) =>
      `| ${r.approach} | ${r.latencyMs} ms | ${r.n} | ${r.p50} | ${r.p95} | ${r.mean} | ${r.requestsPerSim} |`,
  ),
  '',
  '## Cold simulations: state the fork has not seen (lab chain behind a latency proxy)',
  '',
  `Figures ${when('cold')}.`,
  '',
  "Each cold sample runs on a fork started for it (the start not timed) a transaction whose recipients no fork has seen; `warm` runs the same transaction again on that fork; `after a move` mines a block, moves the fork to it and runs it again (the move timed too). A fresh fork per transaction times anvil's start as well. Token symbols and decimals are known from an untimed first run (custos keeps them for the process). Round trips one after another: the longest chain of upstream HTTP exchanges where each starts after the previous ended.",
  '',
  ...cold.scenarios.map(
    (s) =>
      `- ${s.name}: ${s.slotsWritten} storage slots written; ${s.stateReads} upstream requests when anvil reads it lazily`,
  ),
  '',
  '| scenario | approach | added latency per request | n | p50 ms | p95 ms | mean ms | upstream requests per simulation | HTTP exchanges | round trips one after another |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...cold.rows.map(
    (r) =>
      `| ${r.scenario.split(':')[0]} | ${r.approach} | ${r.latencyMs} ms | ${r.n} | ${r.p50} | ${r.p95} | ${r.mean} | ${r.requestsPerSim} | ${r.exchangesPerSim} | ${r.roundTripsPerSim} |`,
  ),
  '',
  '## End to end: a transaction reaching the service emulator → its stored report → its alert',
  '',
  `Figures ${when('e2e')}.`,
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
  '## End to end: a ProposalCreated mined → its alert',
  '',
  `Figures ${when('governance')}.`,
  '',
  '`custos run` as a process polling one OZ governor (`sources.governance.intervalSeconds`) on the lab; each proposal (a treasury drain, so it is alerted) is mined at a random moment of the interval; the time runs from the block holding it to the alert reaching the webhook receiver. Side by side, in turns (each bot started anew per turn, its first alert not counted): the custos `BENCH_BEFORE` points at, if any, and one Safe polled at the same interval, from the transaction reaching the service emulator to its alert.',
  '',
  '| watched | custos | poll interval | n | alert p50 ms | alert p95 ms | alert max ms |',
  '|---|---|---|---|---|---|---|',
  ...watch.governance.map(
    (r) =>
      `| ${dash(r.watched)} | ${dash(r.build)} | ${r.intervalSeconds} s | ${r.n} | ${r.alertP50} | ${r.alertP95} | ${r.alertMax} |`,
  ),
  '',
  '## Scale: watching 1,000 Safes and 100 governors',
  '',
  `Figures ${when('scale')}; each row has its own date (one row per bot NODE_OPTIONS).`,
  '',
  "The bot is started as `node bin/custos.js run` with the row's NODE_OPTIONS. Without a heap cap in them, bin/custos.js starts itself again with its caps: the bot's RSS is then the capped process's RSS plus the memory the launching process holds alone (its pages shared with the child are counted once). Its anvil forks are not counted.",
  '',
  '| Safes | governors | Safe poll interval | governor poll interval | bot NODE_OPTIONS | seconds | bot RSS p50 MB | bot RSS max MB | JS heap used max MB | JS heap total max MB | bot CPU % | service requests per Safe per minute | RPC requests per Safe per minute | RPC requests per minute | measured |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...watch.scale.map(
    (r) =>
      `| ${dash(r.safes)} | ${dash(r.governors)} | ${dash(r.intervalSeconds)} s | ${r.governanceIntervalSeconds === undefined ? '–' : `${r.governanceIntervalSeconds} s`} | ${r.nodeOptions ? `\`${r.nodeOptions}\`` : '–'} | ${dash(r.seconds)} | ${dash(r.rssMbP50)} | ${dash(r.rssMbMax)} | ${dash(r.heapUsedMbMax)} | ${dash(r.heapTotalMbMax)} | ${dash(r.cpuPercent)} | ${dash(r.serviceRequestsPerSafePerMinute)} | ${dash(r.rpcRequestsPerSafePerMinute)} | ${dash(r.rpcRequestsPerMinute)} | ${dash(r.measured)} |`,
  ),
  '',
  ...watch.scale
    .filter((r) => r.processes !== undefined && r.processes > 1)
    .map(
      (r) =>
        `With NODE_OPTIONS ${r.nodeOptions ? `\`${r.nodeOptions}\`` : 'unset'}: ${r.processes} Node processes (bin/custos.js and the capped one it started); the launcher held at most ${r.launcherMbMax} MB alone, included above.`,
    ),
  '',
  '## Soak: simulations on one warm fork, recycled',
  '',
  `Figures ${when('soak')}.`,
  '',
  "custos's fork manager (`createSimulator`, fork mode) on the lab, the five kinds of Safe transaction in turn, one at a time: first with the default recycling thresholds (no recycling within the run), then with low ones so that anvil is replaced during the run. Anvil's RSS is sampled every 250 ms.",
  '',
  '| simulations | seconds | simulations/s | p50 ms | p95 ms | recycle after | anvil RSS first MB | anvil RSS max MB | anvil RSS at the end MB | recycles | anvil starts | failures |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...soak.map(
    (r) =>
      `| ${r.simulations} | ${r.seconds} | ${r.perSecond} | ${r.p50} | ${r.p95} | ${r.maxLifetimeSeconds} s or ${r.maxRssMb} MB | ${r.anvilRssMbFirst ?? '–'} | ${r.anvilRssMbMax} | ${r.anvilRssMbEnd} | ${r.recycles} | ${r.starts} | ${r.failures} |`,
  ),
  '',
  '## Hostile inputs: CPU of one `custos inspect`',
  '',
  `Figures ${when('inputs')}.`,
  '',
  'Offline, JSON output, in one process one after the other; each input is within the size limit. The goal is under 2,000 ms of CPU for any input.',
  '',
  '| input | MB | CPU ms | exit code |',
  '|---|---|---|---|',
  ...inputs.map((r) => `| ${r.input} | ${r.megabytes} | ${r.cpuMs} | ${r.exitCode} |`),
  '',
  '## Gas of the custos Guard',
  '',
  `Figures ${when('guard')}.`,
  '',
  "Receipt gasUsed on the lab (two-of-three Safe, the guard's settings written, balances already non-zero). The overhead is a guarded `execTransaction` minus the same transaction on an unguarded Safe of the same version. The no-op guard (contracts/lab/NoopGuard.sol) does nothing: its overhead is what the Safe itself spends calling any guard (the cold call carrying checkTransaction's arguments, signatures included, and the after-hook), so the custos Guard's own cost is its overhead minus that floor. approve, cancel and schedule are the guard's own calls (schedule checks the owners' signatures through the Safe).",
  '',
  '| Safe | transaction | unguarded | no-op guard | floor | approved path | overhead | scheduled path | overhead | approve | cancel | schedule |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...guard.map(
    (r) =>
      `| ${r.safeVersion} | ${r.transaction} | ${r.unguarded} | ${dash(r.noop)} | ${dash(r.noopOverhead)} | ${r.approved} | ${r.approvedOverhead} | ${r.scheduled} | ${r.scheduledOverhead} | ${r.approve} | ${r.cancel} | ${r.schedule} |`,
  ),
  '',
  ...guardBreakdown.flatMap((b) => [
    `Where custos's own ${b.own} gas goes on the approved path (Safe ${b.safeVersion}, ${b.transaction}, over the no-op guard's ${b.floor}): anvil's opcode steps summed over the guard's frames by kind of work, each call into the Safe counted whole.`,
    '',
    '| what | gas |',
    '|---|---|',
    ...b.items.map((i) => `| ${i.what} | ${i.gas} |`),
    '',
  ]),
  '## Protocol watchdogs: 500 Chainlink feed checks per block',
  '',
  `Figures ${when('watchdogs')}.`,
  '',
  "One round of `chainlink-feed` checks as the watch loop runs it (`runRound`: the block number, every feed's latestRoundData, decimals and aggregator through Multicall3, the aggregators' bounds; decimals and bounds are read in the first round and remembered), one round per mined block, through a counting RPC relay that adds the given latency to each request.",
  '',
  '| feed checks | added latency per request | rounds | RPC requests, first round | RPC requests per round after | round p50 ms | round p95 ms |',
  '|---|---|---|---|---|---|---|',
  ...watchdogs.rounds.map(
    (r) =>
      `| ${r.feeds} | ${r.latencyMs} ms | ${r.rounds} | ${r.firstRoundRequests} | ${r.requestsPerRound} | ${r.roundP50Ms} | ${r.roundP95Ms} |`,
  ),
  '',
  '`custos run` as a process watching those feeds, one of them with a 10 s heartbeat and 2 s of grace, the lab mining a block every second: the time from the block that shows that feed stale being mined to the alert reaching a webhook receiver.',
  '',
  '| feed checks | `sources.protocols.intervalSeconds` | block time | n | alert p50 ms | alert p95 ms | alert max ms |',
  '|---|---|---|---|---|---|---|',
  ...watchdogs.stale.map(
    (r) =>
      `| ${r.feeds} | ${r.intervalSeconds} s | ${r.blockSeconds} s | ${r.n} | ${r.alertP50Ms} | ${r.alertP95Ms} | ${r.alertMaxMs} |`,
  ),
  '',
  '## Replicas on PostgreSQL: failover, and end to end beside one SQLite process',
  '',
  `Figures ${when('replicas')}${replicas ? `; ${replicas.postgres}; load average (1, 5, 15 min) ${replicas.load.start.join(', ')} as the part started, ${replicas.load.end.join(', ')} as it ended` : ''}.`,
  '',
  "Three `custos run` replicas on one database watch one Safe (its transaction service polled every 2 s, through a relay on loopback that notes who asks what, and when). The replica leading the Safe's service is killed with SIGKILL at a random moment, then started again once another has taken over. Lease taken: from the SIGKILL to a survivor's `/readyz` listing the source among those it leads (sampled every 25 ms). Polled again: from the SIGKILL to a survivor's request for the Safe's pending transactions reaching the relay (each replica reaches it under its own path).",
  '',
  '| `store.leaseSeconds` | replicas | kills | lease taken p50 ms | lease taken p95 ms | polled again p50 ms | polled again p95 ms | polled again max ms |',
  '|---|---|---|---|---|---|---|---|',
  ...(replicas?.failover ?? []).map(
    (r) =>
      `| ${r.leaseSeconds} s | ${r.replicas} | ${r.kills} | ${r.leaseP50} | ${r.leaseP95} | ${r.pollP50} | ${r.pollP95} | ${r.pollMax} |`,
  ),
  '',
  "End to end as in the 1-Safe row above: a transaction proposed to the service emulator at a random moment of the 2 s poll interval → its alert at the webhook receiver. The setups in turns, each started anew per turn on a new Safe (and a new database), its first alert not counted; the replicas with the default `store.leaseSeconds`, none killed. After the poll that found it: from the first request for the Safe's pending transactions to reach the relay after the proposal, to the alert (the same time without the wait for a poll, which is most of the spread of the first columns).",
  '',
  '| setup | poll interval | n | alert p50 ms | alert p95 ms | alert max ms | after the poll that found it: p50 ms | p95 ms |',
  '|---|---|---|---|---|---|---|---|',
  ...(replicas?.latency ?? []).map(
    (r) =>
      `| ${r.setup} | ${r.intervalSeconds} s | ${r.n} | ${r.p50} | ${r.p95} | ${r.max} | ${dash(r.afterPollP50)} | ${dash(r.afterPollP95)} |`,
  ),
  '',
]
writeFileSync(join(dir, 'latest.md'), lines.join('\n'))
process.stdout.write(lines.join('\n'))
