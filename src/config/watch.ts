import { z } from 'zod'
import { LEVELS } from '../model/severity.js'
import { address } from '../model/zod.js'
import * as acting from './acting.js'
import * as chat from './chat.js'

// The parts of the configuration that only `custos run` (the watch loop) uses.

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
const secretRef = z.object({ env: envName }).strict()

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
    owners: z.array(address).optional(),
    threshold: z.number().int().positive().optional(),
    /** The zero address means "no guard". */
    guard: address.optional(),
    modules: z.array(address).optional(),
    fallbackHandler: address.optional(),
    singleton: address.optional(),
  })
  .strict()

/**
 * The Safe runs the custos Guard (docs/guard.md) with custos's veto key as its guardian: a veto
 * cancels the transaction on the guard instead of proposing a rejection the other owners must
 * co-sign, and the guard's events are watched.
 */
export const safeGuard = z
  .object({
    /** The guard's address; by default the deterministic one (`custos guard deploy`). Its code hash is checked before every use. */
    address: address.optional(),
  })
  .strict()

export const watchedSafe = z
  .object({
    address,
    chainId: z.number().int().positive(),
    /** How alerts name this Safe. */
    name: z.string().min(1),
    /** Accounts that execute transactions for this Safe besides its owners (relayers, bots). */
    relayers: z.array(address).default([]),
    /** What the drift watchdog asserts against the chain; each field is optional. */
    expected: expected.optional(),
    /** This Safe's escalation ladder, where it differs from the top-level one. */
    escalation: chat.escalationOverride.optional(),
    /** This Safe's policy rules, over the top-level `policy` (finding rules are merged). */
    policy: acting.policyRules.partial().optional(),
    /** This Safe runs the custos Guard with custos as its guardian. */
    guard: safeGuard.optional(),
  })
  .strict()

/** A governor (OpenZeppelin or Bravo) or a TimelockController that `custos run` watches. */
export const watchedGovernance = z
  .object({
    address,
    chainId: z.number().int().positive(),
    /** How alerts name it. */
    name: z.string().min(1),
    /** This governor's escalation ladder, where it differs from the top-level one. */
    escalation: chat.escalationOverride.optional(),
    /** This governor's policy rules, over the top-level `policy` (finding rules are merged). */
    policy: acting.policyRules.partial().optional(),
  })
  .strict()

export const sources = z
  .object({
    txService: z
      .object({
        /** Poll the Safe Transaction Service for pending transactions. */
        enabled: z.boolean().default(true),
        /** Seconds between polls of each Safe (the Safes are spread over it). */
        intervalSeconds: interval.default(15),
        /** Results per page when listing pending transactions. */
        pageSize: z.number().int().min(1).max(200).default(100),
      })
      .strict()
      .prefault({}),
    chainEvents: z
      .object({
        /** Follow the Safes' events on chain (executions, approvals, owner/module/guard changes). */
        enabled: z.boolean().default(true),
        intervalSeconds: interval.default(12),
        /** Blocks re-read on every scan and on start, so a reorg cannot hide an event. */
        reorgWindow: z.number().int().min(0).max(10_000).default(12),
        /** Largest block range asked of the RPC in one eth_getLogs. */
        maxBlockRange: z.number().int().min(1).max(100_000).default(2000),
      })
      .strict()
      .prefault({}),
    drift: z
      .object({
        /** Assert each Safe's `expected` configuration against the chain. */
        enabled: z.boolean().default(true),
        intervalSeconds: interval.default(300),
      })
      .strict()
      .prefault({}),
    webhook: z
      .object({
        /** Accept POST /hooks/safe notifications (the events service, a webhook) as hints to poll at once. */
        enabled: z.boolean().default(false),
        /** Environment variable with the bearer token callers must present. */
        tokenEnv: envName.default('CUSTOS_WEBHOOK_TOKEN'),
      })
      .strict()
      .prefault({}),
    governance: z
      .object({
        /** Follow the watched governors' and timelocks' events. */
        enabled: z.boolean().default(true),
        intervalSeconds: interval.default(12),
        /** Simulate every pending proposal again this often (s), until it executes… */
        resimulateSeconds: interval.default(3600),
        /** …and every `intervalSeconds` once its ETA is this close (s). */
        etaWindowSeconds: z.number().int().min(0).default(3600),
        /** How far back a proposal's creation is searched for when it is simulated again (blocks). */
        lookbackBlocks: z.number().int().positive().default(1_000_000),
      })
      .strict()
      .prefault({}),
    /** A source with no successful poll for this many intervals raises its own alert. */
    silentAfterIntervals: z.number().int().min(1).default(3),
  })
  .strict()
  .prefault({})

export const server = z
  .object({
    enabled: z.boolean().default(true),
    /** Address to listen on; loopback unless you put a proxy with authentication in front. */
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Base URL alerts use to link to report pages (default: http://host:port). */
    publicUrl: z.url().optional(),
  })
  .strict()
  .prefault({})

export const notify = z
  .object({
    console: z
      .object({
        enabled: z.boolean().default(true),
        minLevel: z.enum(LEVELS).default('info'),
      })
      .strict()
      .prefault({}),
    webhooks: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes'),
            url: z.union([z.url(), secretRef]),
            /** Environment variable with the HMAC secret that signs each request. */
            secretEnv: envName.optional(),
            minLevel: z.enum(LEVELS).default('low'),
          })
          .strict(),
      )
      .default([]),
    /** Discord: alerts with Acknowledge / Escalate / Veto buttons, and `/custos` commands. */
    discord: chat.discord.optional(),
    /** Slack incoming webhooks (Block Kit). */
    slack: z.array(chat.slack).default([]),
    /** Telegram: Bot API messages with inline buttons. */
    telegram: chat.telegram.optional(),
    /** PagerDuty Events v2: pages critical alerts and the escalation ladder. */
    pagerduty: chat.pagerduty.optional(),
  })
  .strict()
  .prefault({})

export const alerts = z
  .object({
    /** Reports at or above this level are alerted; below it they are only stored and logged. */
    minLevel: z.enum(LEVELS).default('low'),
  })
  .strict()
  .prefault({})

export const outbox = z
  .object({
    /** Attempts per alert and channel before it is given up (and audited). */
    maxAttempts: z.number().int().min(1).default(25),
    baseDelayMs: z.number().int().positive().default(1000),
    maxDelayMs: z.number().int().positive().default(600_000),
    pollMs: z.number().int().positive().default(1000),
  })
  .strict()
  .prefault({})

export const store = z
  .object({
    /** The SQLite file; default `<dataDir>/custos.db`. */
    path: z.string().optional(),
  })
  .strict()
  .prefault({})

export const logging = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .prefault({})
