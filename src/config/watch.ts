import { z } from 'zod'
import { LEVELS } from '../model/severity.js'
import { address } from '../model/zod.js'
import * as acting from './acting.js'
import * as chat from './chat.js'
import { envName, secretRef } from './secret.js'

// The parts of the configuration that only `custos run` (the watch loop) uses.

/** Polling intervals must fit a cron schedule: a divisor of 60 s, or whole minutes dividing 60. */
export const interval = z
  .number()
  .int()
  .positive()
  .refine((s) => (s <= 60 && 60 % s === 0) || (s % 60 === 0 && s <= 3600 && 60 % (s / 60) === 0), {
    message:
      'expected seconds that divide a minute (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) or minutes that divide an hour (120, 180, …, 1800, 3600)',
  })

/** Cron expression (with seconds) for an interval accepted by `interval` (see pipeline/schedule.ts). */
export const cronFor = (seconds: number): string =>
  seconds < 60 ? `*/${seconds} * * * * *` : seconds === 60 ? '0 * * * * *' : `0 */${seconds / 60} * * * *`

const expected = z
  .object({
    owners: z.array(address).optional().describe('The owners, in any order.'),
    threshold: z.number().int().positive().optional().describe('The threshold.'),
    guard: address.optional().describe('The transaction guard; the zero address means "no guard".'),
    modules: z.array(address).optional().describe('The enabled modules, in any order (`[]`: none).'),
    fallbackHandler: address.optional().describe('The fallback handler.'),
    singleton: address.optional().describe('The singleton (master copy) the proxy runs.'),
  })
  .strict()

/**
 * The Safe runs the custos Guard (docs/guard.md) with custos's veto key as its guardian: a veto
 * cancels the transaction on the guard instead of proposing a rejection the other owners must
 * co-sign, and the guard's events are watched.
 */
export const safeGuard = z
  .object({
    address: address
      .optional()
      .describe(
        "The guard's address; by default the deterministic one (`custos guard deploy`). Its code hash is checked before every use.",
      ),
    approveBelow: z
      .enum(LEVELS)
      .default('medium')
      .describe(
        'Once a transaction has its signatures, custos approves it on the guard (it runs at once) when its level is below this, and never at or above `policy.vetoAt`; from this level up to the veto level custos schedules it itself, so the delay starts, and escalates. `none` approves nothing.',
      ),
  })
  .strict()

const target = {
  address: address.describe('Its address.'),
  chainId: z.number().int().positive().describe('The chain it is on; needs an entry under `chains`.'),
  name: z.string().min(1).describe('How alerts, chat and report pages name it.'),
}

export const watchedSafe = z
  .object({
    ...target,
    relayers: z
      .array(address)
      .default([])
      .describe('Accounts that execute transactions for this Safe besides its owners (relayers, bots).'),
    expected: expected
      .optional()
      .describe(
        'What the drift watchdog asserts against the chain (each field optional); `custos init` pins what it read.',
      ),
    escalation: chat.escalationOverride
      .optional()
      .describe("This Safe's escalation ladder, where it differs from the top-level one."),
    policy: acting.policyRules
      .partial()
      .optional()
      .describe("This Safe's policy rules, over the top-level `policy` (finding rules are merged)."),
    guard: safeGuard
      .optional()
      .describe('This Safe runs the custos Guard with custos as its guardian (docs/guard.md).'),
  })
  .strict()

/** A governor (OpenZeppelin or Bravo) or a TimelockController that `custos run` watches. */
export const watchedGovernance = z
  .object({
    ...target,
    escalation: chat.escalationOverride
      .optional()
      .describe("This governor's escalation ladder, where it differs from the top-level one."),
    policy: acting.policyRules
      .partial()
      .optional()
      .describe("This governor's policy rules, over the top-level `policy` (finding rules are merged)."),
  })
  .strict()

const every = (seconds: number, what: string) =>
  interval
    .default(seconds)
    .describe(`Seconds between ${what}: a divisor of a minute, or whole minutes dividing an hour.`)

export const sources = z
  .object({
    txService: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Poll the Safe Transaction Service for pending transactions.'),
        intervalSeconds: every(15, 'polls of each Safe (the Safes are spread over it)'),
        pageSize: z
          .number()
          .int()
          .min(1)
          .max(200)
          .default(100)
          .describe('Results per page when listing pending transactions.'),
      })
      .strict()
      .prefault({})
      .describe('The transaction service poller.'),
    chainEvents: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe("Follow the Safes' events on chain (executions, approvals, owner/module/guard changes)."),
        intervalSeconds: every(12, 'scans'),
        reorgWindow: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(12)
          .describe('Blocks re-read on every scan and on start, so a reorg cannot hide an event.'),
        maxBlockRange: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(2000)
          .describe('Largest block range asked of the RPC in one eth_getLogs.'),
      })
      .strict()
      .prefault({})
      .describe("The Safes' events on chain."),
    drift: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe("Assert each Safe's `expected` configuration against the chain."),
        intervalSeconds: every(300, 'checks'),
      })
      .strict()
      .prefault({})
      .describe('The drift watchdog.'),
    webhook: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Accept POST /hooks/safe notifications (the events service, a webhook) as hints to poll at once.',
          ),
        tokenEnv: envName
          .default('CUSTOS_WEBHOOK_TOKEN')
          .describe('Environment variable with the bearer token callers must present.'),
      })
      .strict()
      .prefault({})
      .describe('Push hints: a POST makes custos poll a Safe at once (the hint itself is never trusted).'),
    governance: z
      .object({
        enabled: z.boolean().default(true).describe("Follow the watched governors' and timelocks' events."),
        intervalSeconds: every(12, 'scans'),
        resimulateSeconds: interval
          .default(3600)
          .describe('Simulate every pending proposal again this often (s), until it executes…'),
        etaWindowSeconds: z
          .number()
          .int()
          .min(0)
          .default(3600)
          .describe('…and every `intervalSeconds` once its ETA is this close (s).'),
        lookbackBlocks: z
          .number()
          .int()
          .positive()
          .default(1_000_000)
          .describe(
            "How far back a proposal's creation is searched for when it is simulated again (blocks).",
          ),
      })
      .strict()
      .prefault({})
      .describe('Governors and timelocks.'),
    protocols: z
      .object({
        enabled: z.boolean().default(true).describe("Evaluate the watched protocols' checks (`protocols`)."),
        intervalSeconds: every(
          2,
          "looks for a new block to evaluate (a check's `every` counts from these looks)",
        ),
      })
      .strict()
      .prefault({})
      .describe('The protocol watchdogs.'),
    silentAfterIntervals: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('A source with no successful poll for this many intervals raises its own alert.'),
    silentAfterSeconds: z
      .number()
      .int()
      .min(1)
      .default(60)
      .describe(
        '…and for at least this long (s): one poll that inspects and simulates new transactions can take longer than a few short intervals on a slow machine, which is not silence.',
      ),
  })
  .strict()
  .prefault({})

export const server = z
  .object({
    enabled: z.boolean().default(true).describe('Serve /healthz, /readyz, /metrics and the report pages.'),
    host: z
      .string()
      .default('127.0.0.1')
      .describe('Address to listen on; loopback unless you put a proxy with authentication in front.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('Port to listen on.'),
    publicUrl: z
      .url()
      .optional()
      .describe('Base URL alerts use to link to report pages (default: http://host:port).'),
  })
  .strict()
  .prefault({})

export const notify = z
  .object({
    console: z
      .object({
        enabled: z.boolean().default(true).describe('Print alerts on stdout.'),
        minLevel: z.enum(LEVELS).default('info').describe('Alerts at or above this level are printed.'),
      })
      .strict()
      .prefault({})
      .describe('Alerts on the console (stdout).'),
    webhooks: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes')
              .describe('Names this webhook in logs and the audit log.'),
            url: z
              .union([z.url(), secretRef])
              .describe('Where alerts are POSTed as JSON; `{ env: NAME }` when the URL is a secret.'),
            secretEnv: envName
              .optional()
              .describe(
                'Environment variable with the HMAC secret that signs each request (X-Custos-Signature).',
              ),
            minLevel: z.enum(LEVELS).default('low').describe('Alerts at or above this level are sent.'),
          })
          .strict(),
      )
      .default([])
      .describe('Signed JSON webhooks: alerts, proposal updates and escalation notices.'),
    discord: chat.discord
      .optional()
      .describe('Discord: alerts with Acknowledge / Escalate / Veto buttons, and `/custos` commands.'),
    slack: z.array(chat.slack).default([]).describe('Slack incoming webhooks (Block Kit).'),
    telegram: chat.telegram.optional().describe('Telegram: Bot API messages with inline buttons.'),
    pagerduty: chat.pagerduty
      .optional()
      .describe('PagerDuty Events v2: pages critical alerts and the escalation ladder.'),
  })
  .strict()
  .prefault({})

export const alerts = z
  .object({
    minLevel: z
      .enum(LEVELS)
      .default('low')
      .describe('Reports at or above this level are alerted; below it they are only stored and logged.'),
  })
  .strict()
  .prefault({})

export const outbox = z
  .object({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .default(25)
      .describe('Attempts per alert and channel before it is given up (and audited).'),
    baseDelayMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('First retry delay (ms); it doubles, with jitter.'),
    maxDelayMs: z.number().int().positive().default(600_000).describe('Longest retry delay (ms).'),
    pollMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('How often the outbox looks for due deliveries (ms).'),
  })
  .strict()
  .prefault({})

export const store = z
  .object({
    driver: z
      .enum(['sqlite', 'postgres'])
      .default('sqlite')
      .describe(
        '`sqlite` (the default): one process and one file. `postgres`: any number of `custos run` replicas share one database, each source led by one of them at a time.',
      ),
    path: z
      .string()
      .optional()
      .describe('The SQLite file, relative to the config file; default `<dataDir>/custos.db`.'),
    url: secretRef
      .default({ env: 'DATABASE_URL' })
      .describe('PostgreSQL: the environment variable with the connection URL (it carries the password).'),
    leaseSeconds: z
      .number()
      .int()
      .min(3)
      .max(300)
      .default(15)
      .describe(
        'PostgreSQL: a replica that stops renewing its leases (it died, or lost the database) has its sources, alerts being sent, ladders and vetoes taken over by another within this time.',
      ),
    replicaId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits, and . _ : - (at most 64)')
      .optional()
      .describe(
        "PostgreSQL: this replica's name in `custos status`, /readyz and /metrics (default host-pid); each start adds a random suffix, so a restarted process never inherits the last one's claims.",
      ),
    poolSize: z
      .number()
      .int()
      .min(2)
      .max(100)
      .default(10)
      .describe('PostgreSQL: connections this replica keeps open at most.'),
  })
  .strict()
  .prefault({})

export const logging = z
  .object({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('JSON log lines on stderr at or above this level.'),
  })
  .strict()
  .prefault({})
