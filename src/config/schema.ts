import { z } from 'zod'
import { LEVELS } from '../model/severity.js'
import { address } from '../model/zod.js'
import * as acting from './acting.js'
import * as chat from './chat.js'
import * as protocols from './protocols.js'
import { envName, secretRef } from './secret.js'
import * as watch from './watch.js'

// This schema is the configuration's documentation: every field has a description and a
// default, and `custos config docs` prints the reference (docs/configuration.md) from it.
// `custos config check` validates a file against it.

export { secretRef }

/** An RPC endpoint: a plain URL for public nodes, `{ env: NAME }` for URLs that carry a key. */
export const rpcEndpoint = z.union([
  z.url({ protocol: /^(https?|wss?)$/, error: 'expected an http(s) or ws(s) URL' }),
  secretRef,
])

const chainSchema = z
  .object({
    rpc: z
      .array(rpcEndpoint)
      .default([])
      .describe(
        'RPC endpoints in order of preference (failover): a plain URL for public nodes, `{ env: NAME }` for URLs that carry a key.',
      ),
    txService: z
      .url()
      .optional()
      .describe(
        "Safe Transaction Service base URL, ending in /api. Default: Safe's hosted service for the chain.",
      ),
    txServiceApiKeyEnv: envName
      .optional()
      .describe(
        "Environment variable with the transaction service API key (Safe's hosted service needs one).",
      ),
    simulationMode: z
      .enum(['fork', 'direct'])
      .optional()
      .describe('Overrides `simulation.mode` for this chain.'),
  })
  .strict()

const chainId = z.number().int().positive()

const addressBookEntry = z
  .object({
    address: address.describe('The address.'),
    name: z.string().min(1).describe('How findings name this address.'),
    chainId: chainId.optional().describe('Limit the entry to one chain; omitted means every chain.'),
  })
  .strict()

const token = z
  .object({
    address: address.describe("The token's contract."),
    symbol: z.string().min(1).describe('Its symbol, as findings show amounts.'),
    decimals: z.number().int().min(0).max(77).describe('Its decimals.'),
    chainId: chainId.optional().describe('Limit the entry to one chain; omitted means every chain.'),
  })
  .strict()

const abiSource = z
  .object({
    name: z.string().min(1).describe('Shown next to every function decoded with this ABI.'),
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A JSON ABI (or a Hardhat/Foundry artifact with an `abi` field), relative to this config file.',
      ),
    signatures: z
      .array(z.string().min(1))
      .optional()
      .describe('Human-readable signatures, e.g. `function deposit(uint256 amount, address receiver)`.'),
    addresses: z.array(address).optional().describe('Use this ABI only for calls to these contracts.'),
  })
  .strict()
  .refine((a) => (a.file === undefined) !== (a.signatures === undefined), {
    message: 'give exactly one of `file` or `signatures`',
  })

const limits = z
  .object({
    maxCalldataBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .describe('Calldata larger than this (bytes) is not decoded; it becomes a finding instead.'),
    maxDepth: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(8)
      .describe('How deep nested calls (MultiSend in MultiSend, nested Safes) are decoded.'),
    maxCalls: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('How many calls of one transaction are decoded at most.'),
  })
  .strict()

const simulation = z
  .object({
    mode: z
      .enum(['fork', 'direct'])
      .default('fork')
      .describe(
        '`fork`: simulate on a warm local anvil fork of the RPC (works with any RPC and keeps the load on it low). `direct`: ask the RPC node itself, which must support debug_traceCall with callTracer, prestateTracer and state overrides.',
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(60_000)
      .describe('A simulation that takes longer than this (ms) is reported as unavailable (a high finding).'),
    requestTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe('Timeout of each request to the fork or the node (ms).'),
    fork: z
      .object({
        maxAgeSeconds: z
          .number()
          .int()
          .positive()
          .default(120)
          .describe('Re-fork at the latest block once the fork is this old (s); this drops its warm cache.'),
        maxLifetimeSeconds: z
          .number()
          .int()
          .positive()
          .default(3600)
          .describe('Replace the anvil process after this long (s).'),
        maxRssMb: z
          .number()
          .int()
          .positive()
          .default(1024)
          .describe('Replace the anvil process once its memory passes this (MB).'),
        blockNumber: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe('Fork this block instead of following the chain.'),
        prefetch: z
          .boolean()
          .default(true)
          .describe(
            'Before a simulation touches state the fork has not seen, ask the RPC once what it will read (debug_traceCall with prestateTracer, else eth_createAccessList) and fetch it all in one batch, instead of anvil reading one slot per round trip; the fork also moves to a newer block by fetching the state it still needs in batches. Off: anvil reads lazily.',
          ),
      })
      .strict()
      .default({ maxAgeSeconds: 120, maxLifetimeSeconds: 3600, maxRssMb: 1024, prefetch: true })
      .describe('The warm fork (`mode: fork`).'),
  })
  .strict()

/** Per-guard settings: `enabled`, plus the guard's own options (see `custos guards`). */
const guardSettings = z
  .object({ enabled: z.boolean().default(true).describe('Run this guard.') })
  .catchall(z.unknown())
  .describe("`enabled`, plus the guard's own options (`custos guards` lists them with their defaults).")

export const configSchema = z
  .object({
    version: z.literal(1).default(1).describe("Version of this file's format."),
    chains: z
      .record(z.string().regex(/^\d+$/, 'chain ids are decimal numbers'), chainSchema)
      .default({})
      .describe('Chains by chain id (quoted: `"1":`): how to reach them.'),
    addressBook: z
      .array(addressBookEntry)
      .default([])
      .describe(
        'Named addresses: your Safes, signers, counterparties, trusted contracts. Findings name addresses with these, and an address listed here counts as known.',
      ),
    tokens: z.array(token).default([]).describe('Tokens whose symbol and decimals findings should use.'),
    abis: z
      .array(abiSource)
      .default([])
      .describe('Extra ABIs for decoding calldata, on top of the built-in ones.'),
    limits: limits
      .default({ maxCalldataBytes: 1024 * 1024, maxDepth: 8, maxCalls: 1000 })
      .describe('Bounds on decoding untrusted calldata.'),
    simulation: simulation
      .default({
        mode: 'fork',
        timeoutMs: 60_000,
        requestTimeoutMs: 30_000,
        fork: { maxAgeSeconds: 120, maxLifetimeSeconds: 3600, maxRssMb: 1024, prefetch: true },
      })
      .describe('How transactions are simulated (`inspect --simulate`, and `custos run`).'),
    guards: z.record(z.string(), guardSettings).default({}).describe('Guard settings by guard id.'),
    guardTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(2000)
      .describe('A guard that runs longer than this (ms) becomes a `guard-error` finding.'),
    failOn: z
      .enum(LEVELS)
      .default('high')
      .describe('Default for `inspect --fail-on`: exit 1 at or above this risk level.'),
    // The watch loop (`custos run`):
    safes: z.array(watch.watchedSafe).default([]).describe('The Safes `custos run` watches.'),
    governors: z
      .array(watch.watchedGovernance)
      .default([])
      .describe('Governors (OpenZeppelin Governor, GovernorBravo) whose proposals `custos run` watches.'),
    timelocks: z
      .array(watch.watchedGovernance)
      .default([])
      .describe(
        "TimelockControllers whose scheduled operations `custos run` watches (not a governor's own: it is followed through its governor).",
      ),
    protocols: z
      .array(protocols.watchedProtocol)
      .default([])
      .describe(
        'Protocols whose health checks (price feeds, pauses, roles, the pause path, invariants) `custos run` evaluates.',
      ),
    sources: watch.sources.describe('Where `custos run` learns about proposals, and how often.'),
    alerts: watch.alerts.describe('Which reports are alerted.'),
    notify: watch.notify.describe('Where alerts go: console, webhooks, Discord, Slack, Telegram, PagerDuty.'),
    signers: z
      .array(chat.signer)
      .default([])
      .describe('Who may press chat buttons and run `/custos` commands, by chat identity.'),
    escalation: chat.escalation.describe(
      'Chasing unacknowledged alerts: mention and DM the signers, then page, then repeat.',
    ),
    policy: acting.policyRules
      .prefault({})
      .describe('When custos vetoes, by level and by finding, and when reviewed marks hold it back.'),
    veto: acting.veto.describe('The veto key and its limits; off by default (a veto is then escalated).'),
    outbox: watch.outbox.describe('Retries of alert delivery.'),
    server: watch.server.describe('HTTP server: /healthz, /readyz, /metrics, /reports/:id, /hooks/safe.'),
    dataDir: z
      .string()
      .default('.data')
      .describe('Directory for the store and other state, relative to the config file.'),
    store: watch.store.describe('The store: a SQLite file, or PostgreSQL shared by replicas.'),
    logging: watch.logging.describe('Logs (JSON lines on stderr).'),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Agreement needs several replicas, and only a shared PostgreSQL store has them.
    if (c.veto.quorum > 1 && c.store.driver !== 'postgres')
      ctx.addIssue({
        code: 'custom',
        path: ['veto', 'quorum'],
        message: 'a quorum above 1 needs replicas: set store.driver to postgres',
      })
    // One address is one target: a protocol keyed by a watched Safe's address would take its name.
    const taken = new Set(
      [...c.safes, ...c.governors, ...c.timelocks].map((t) => `${t.chainId}:${t.address.toLowerCase()}`),
    )
    c.protocols.forEach((p, i) => {
      const key = `${p.chainId}:${p.address.toLowerCase()}`
      if (taken.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['protocols', i, 'address'],
          message:
            'already watched as a Safe, governor or timelock: give the protocol another of its contracts',
        })
      taken.add(key)
    })
  })

export type Config = z.output<typeof configSchema>
export type ChainConfig = z.output<typeof chainSchema>
export type { SecretRef } from './secret.js'
