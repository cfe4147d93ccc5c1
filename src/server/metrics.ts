import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** The watch loop's Prometheus metrics, on their own registry (served at /metrics). */
export function createMetrics() {
  const registry = new Registry()
  // prom-client's own names already start with process_ or nodejs_: custos_ is the only prefix.
  collectDefaultMetrics({ register: registry, prefix: 'custos_' })
  const m = {
    registry,
    proposalsSeen: new Counter({
      name: 'custos_proposals_seen_total',
      help: 'Proposals (new or changed) that ran the pipeline',
      labelNames: ['chain'],
      registers: [registry],
    }),
    verdicts: new Counter({
      name: 'custos_verdicts_total',
      help: 'Reports by risk level',
      labelNames: ['level'],
      registers: [registry],
    }),
    simulationSeconds: new Histogram({
      name: 'custos_simulation_seconds',
      help: 'Time to simulate one transaction',
      labelNames: ['chain', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    rpcErrors: new Counter({
      name: 'custos_rpc_errors_total',
      help: 'Failed RPC requests, by chain and endpoint index',
      labelNames: ['chain', 'endpoint'],
      registers: [registry],
    }),
    rpcFailovers: new Counter({
      name: 'custos_rpc_failovers_total',
      help: 'Requests that moved on to the next RPC endpoint',
      labelNames: ['chain'],
      registers: [registry],
    }),
    lastBlock: new Gauge({
      name: 'custos_last_processed_block',
      help: 'Last block whose events are processed, by chain',
      labelNames: ['chain'],
      registers: [registry],
    }),
    lastPoll: new Gauge({
      name: 'custos_last_successful_poll_seconds',
      help: 'Unix time of the last successful transaction-service poll, by Safe',
      labelNames: ['chain', 'safe'],
      registers: [registry],
    }),
    sourceErrors: new Counter({
      name: 'custos_source_errors_total',
      help: 'Failed polls, by source and chain',
      labelNames: ['source', 'chain'],
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: 'custos_outbox_depth',
      help: 'Alerts waiting to be delivered',
      registers: [registry],
    }),
    alertsDelivered: new Counter({
      name: 'custos_alerts_delivered_total',
      help: 'Alerts delivered, by channel',
      labelNames: ['channel'],
      registers: [registry],
    }),
    alertsDead: new Counter({
      name: 'custos_alerts_undeliverable_total',
      help: 'Alerts given up after all retries, by channel',
      labelNames: ['channel'],
      registers: [registry],
    }),
    checkRounds: new Counter({
      name: 'custos_protocol_check_rounds_total',
      help: 'Rounds of protocol checks evaluated',
      labelNames: ['chain'],
      registers: [registry],
    }),
    checkRoundSeconds: new Histogram({
      name: 'custos_protocol_check_round_seconds',
      help: "Time to read and evaluate one round of a protocol's checks",
      labelNames: ['chain'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    checksBroken: new Gauge({
      name: 'custos_protocol_checks_broken',
      help: 'Protocol checks broken at their last evaluation',
      labelNames: ['protocol'],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'custos_store_errors_total',
      help: 'Failed store operations, by operation and SQLite code (SQLITE_CORRUPT, SQLITE_FULL…)',
      labelNames: ['operation', 'code'],
      registers: [registry],
    }),
    taskErrors: new Counter({
      name: 'custos_task_errors_total',
      help: 'Background tasks that failed (silent-source check, drift re-check, alert delivery round…), by task',
      labelNames: ['task'],
      registers: [registry],
    }),
    httpErrors: new Counter({
      name: 'custos_http_errors_total',
      help: 'HTTP requests answered 500 because custos failed',
      registers: [registry],
    }),
    heartbeat: new Gauge({
      name: 'custos_heartbeat_seconds',
      help: 'Unix time of the last loop heartbeat',
      registers: [registry],
    }),
    replica: new Gauge({
      name: 'custos_replica_info',
      help: "This process's replica id (1)",
      labelNames: ['replica'],
      registers: [registry],
    }),
    leads: new Gauge({
      name: 'custos_source_leader',
      help: 'Whether this replica leads the source now (1) or stands by (0)',
      labelNames: ['source'],
      registers: [registry],
    }),
  }
  return m
}

export type Metrics = ReturnType<typeof createMetrics>
