import { z } from 'zod'
import { LEVELS } from '../model/severity.js'
import { address } from '../model/zod.js'
import * as acting from './acting.js'
import * as chat from './chat.js'
import * as protocols from './protocols.js'
import * as watch from './watch.js'

// This schema is the configuration's documentation: every field has a comment and a default.
// config/custos.example.yaml shows each one; `custos config check` validates a file against it.

/** A secret is never written in the file: it names the environment variable that holds it. */
export const secretRef = z
  .object({
    /** Name of the environment variable holding the value. */
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
  })
  .strict()

/** An RPC endpoint: a plain URL for public nodes, `{ env: NAME }` for URLs that carry a key. */
export const rpcEndpoint = z.union([
  z.url({ protocol: /^(https?|wss?)$/, error: 'expected an http(s) or ws(s) URL' }),
  secretRef,
])

const chainSchema = z
  .object({
    /** RPC endpoints for this chain, in order of preference. */
    rpc: z.array(rpcEndpoint).default([]),
    /** Safe Transaction Service base URL, ending in /api. Defaults to Safe's hosted service for the chain. */
    txService: z.url().optional(),
    /** Environment variable with the Transaction Service API key (required by Safe's hosted service). */
    txServiceApiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** Overrides `simulation.mode` for this chain. */
    simulationMode: z.enum(['fork', 'direct']).optional(),
  })
  .strict()

const addressBookEntry = z
  .object({
    address,
    /** How findings name this address. */
    name: z.string().min(1),
    /** Limit the entry to one chain; omitted means every chain. */
    chainId: z.number().int().positive().optional(),
  })
  .strict()

const token = z
  .object({
    address,
    symbol: z.string().min(1),
    decimals: z.number().int().min(0).max(77),
    chainId: z.number().int().positive().optional(),
  })
  .strict()

const abiSource = z
  .object({
    /** Shown next to every function decoded with this ABI. */
    name: z.string().min(1),
    /** A JSON ABI (or a Hardhat/Foundry artifact with an `abi` field), relative to this config file. */
    file: z.string().min(1).optional(),
    /** Human-readable signatures, e.g. `function deposit(uint256 amount, address receiver)`. */
    signatures: z.array(z.string().min(1)).optional(),
    /** Use this ABI only for calls to these contracts. */
    addresses: z.array(address).optional(),
  })
  .strict()
  .refine((a) => (a.file === undefined) !== (a.signatures === undefined), {
    message: 'give exactly one of `file` or `signatures`',
  })

const limits = z
  .object({
    /** Calldata larger than this (bytes) is not decoded; it becomes a finding instead. */
    maxCalldataBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** How deep nested calls (MultiSend in MultiSend, nested Safes) are decoded. */
    maxDepth: z.number().int().min(1).max(64).default(8),
    /** How many calls of one transaction are decoded at most. */
    maxCalls: z.number().int().positive().default(1000),
  })
  .strict()

const simulation = z
  .object({
    /**
     * `fork`: simulate on a warm local anvil fork of the chain's RPC (works with any RPC and keeps
     * the load on it low). `direct`: ask the RPC node itself, which must support debug_traceCall
     * with callTracer, prestateTracer and state overrides.
     */
    mode: z.enum(['fork', 'direct']).default('fork'),
    /** A simulation that takes longer than this (ms) is reported as unavailable (a high finding). */
    timeoutMs: z.number().int().positive().default(60_000),
    /** Timeout of each request to the fork or the node (ms). */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    fork: z
      .object({
        /** Re-fork at the latest block once the fork is this old (s); this drops its warm cache. */
        maxAgeSeconds: z.number().int().positive().default(120),
        /** Replace the anvil process after this long (s). */
        maxLifetimeSeconds: z.number().int().positive().default(3600),
        /** Replace the anvil process once its memory passes this (MB). */
        maxRssMb: z.number().int().positive().default(1024),
        /** Fork this block instead of following the chain. */
        blockNumber: z.number().int().nonnegative().optional(),
        /**
         * Before a simulation touches state the fork has not seen, ask the RPC once what it will
         * read (debug_traceCall with prestateTracer, else eth_createAccessList) and fetch it all in
         * one batch, instead of anvil reading one slot per round trip; the fork also moves to a
         * newer block by fetching the state it still needs in batches. Off: anvil reads lazily.
         */
        prefetch: z.boolean().default(true),
      })
      .strict()
      .default({ maxAgeSeconds: 120, maxLifetimeSeconds: 3600, maxRssMb: 1024, prefetch: true }),
  })
  .strict()

/** Per-guard settings: `enabled`, plus the guard's own options (see `custos guards`). */
const guardSettings = z.object({ enabled: z.boolean().default(true) }).catchall(z.unknown())

export const configSchema = z
  .object({
    /** Version of this file's format. */
    version: z.literal(1).default(1),
    /** Chains by chain id: how to reach them. */
    chains: z.record(z.string().regex(/^\d+$/, 'chain ids are decimal numbers'), chainSchema).default({}),
    /** Named addresses: your Safes, signers, counterparties, trusted contracts. */
    addressBook: z.array(addressBookEntry).default([]),
    /** Tokens whose symbol and decimals findings should use. */
    tokens: z.array(token).default([]),
    /** Extra ABIs for decoding calldata, on top of the built-in ones. */
    abis: z.array(abiSource).default([]),
    /** Bounds on decoding untrusted calldata. */
    limits: limits.default({ maxCalldataBytes: 1024 * 1024, maxDepth: 8, maxCalls: 1000 }),
    /** How transactions are simulated (`inspect --simulate`). */
    simulation: simulation.default({
      mode: 'fork',
      timeoutMs: 60_000,
      requestTimeoutMs: 30_000,
      fork: { maxAgeSeconds: 120, maxLifetimeSeconds: 3600, maxRssMb: 1024, prefetch: true },
    }),
    /** Guard settings by guard id. */
    guards: z.record(z.string(), guardSettings).default({}),
    /** A guard that runs longer than this (ms) becomes a `guard-error` finding. */
    guardTimeoutMs: z.number().int().positive().default(2000),
    /** Default for `inspect --fail-on`: exit 1 at or above this risk level. */
    failOn: z.enum(LEVELS).default('high'),
    // The watch loop (`custos run`):
    /** The Safes `custos run` watches. */
    safes: z.array(watch.watchedSafe).default([]),
    /** Governors (OpenZeppelin Governor, GovernorBravo) whose proposals `custos run` watches. */
    governors: z.array(watch.watchedGovernance).default([]),
    /** TimelockControllers whose scheduled operations `custos run` watches (not a governor's own). */
    timelocks: z.array(watch.watchedGovernance).default([]),
    /** Protocols whose health checks (price feeds, pauses, roles, the pause path, invariants) `custos run` evaluates. */
    protocols: z.array(protocols.watchedProtocol).default([]),
    sources: watch.sources,
    /** Which reports are alerted. */
    alerts: watch.alerts,
    /** Where alerts go: console, webhooks, Discord, Slack, Telegram, PagerDuty. */
    notify: watch.notify,
    /** Who may press chat buttons and run `/custos` commands, by chat identity. */
    signers: z.array(chat.signer).default([]),
    /** Chasing unacknowledged alerts: mention and DM the signers, then page, then repeat. */
    escalation: chat.escalation,
    /** When custos vetoes, by level and by finding, and when reviewed marks hold it back. */
    policy: acting.policyRules.prefault({}),
    /** The veto key and its limits; off by default (a veto is then escalated). */
    veto: acting.veto,
    /** Retries of alert delivery. */
    outbox: watch.outbox,
    /** HTTP server: /healthz, /readyz, /metrics, /reports/:id, /hooks/safe. */
    server: watch.server,
    /** Directory for the store and other state. */
    dataDir: z.string().default('.data'),
    store: watch.store,
    logging: watch.logging,
  })
  .strict()
  .superRefine((c, ctx) => {
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
export type SecretRef = z.output<typeof secretRef>
