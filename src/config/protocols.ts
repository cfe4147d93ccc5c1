import { type Hex, isHex, keccak256, toHex } from 'viem'
import { z } from 'zod'
import { encodeConstantCall, parseFunction } from '../model/constant-call.js'
import { callVariable, compileExpression } from '../model/expression.js'
import { SEVERITIES } from '../model/severity.js'
import { address } from '../model/zod.js'
import * as acting from './acting.js'
import * as chat from './chat.js'

// Watched protocols (`protocols:`): a protocol's checks (price feeds, pauses, roles, the pause
// path, invariants), evaluated on a schedule and alerted once per episode, and the pause calls
// the circuit breaker may send. Every signature, constant and expression is checked here, so a
// configuration that parses is one custos can run.

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes')
const seconds = z.number().int().positive()
/** An integer written in YAML: a number, or a decimal string for values past 2^53. */
const integer = z.union([z.number().int(), z.string().regex(/^-?\d+$/, 'expected a decimal integer')])

/** A constant argument as YAML writes it; checked against the function's types below. */
const constant: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.array(constant)]),
)

/** A call with constant arguments: `function` is a signature, e.g. `pause()` or `getReserves() returns (int256)`. */
export const viewCall = z
  .object({
    to: address.describe('The contract called.'),
    function: z
      .string()
      .min(3)
      .describe('Its signature with what it returns, e.g. `targetReserves() returns (uint256)`.'),
    args: z
      .array(constant)
      .default([])
      .describe(
        'Constant arguments, in order: numbers (decimal strings past 2^53), booleans, addresses, 0x hex.',
      ),
  })
  .strict()
  .superRefine((c, ctx) => encodable(c.function, c.args, ctx))

function encodable(signature: string, args: readonly unknown[], ctx: z.RefinementCtx, path: string[] = []) {
  try {
    encodeConstantCall(signature, args)
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: [...path, 'function'], message: (error as Error).message })
  }
}

/** What every check has. */
const common = {
  id: id.describe('How alerts, `custos check` and the store name this check; unique within the protocol.'),
  level: z.enum(SEVERITIES).default('high').describe('The level a broken check is alerted at.'),
  every: z
    .union([z.literal('block'), seconds])
    .default('block')
    .describe('`block` (each new block, the default) or seconds between evaluations.'),
  action: z
    .literal('pause')
    .optional()
    .describe(
      "`pause`: a broken check calls for the protocol's pause (see `veto.pauses`); unpausing is never automatic.",
    ),
  pause: id.optional().describe('The pause to send, by name, when the protocol lists several.'),
  worseBy: z
    .record(z.string().regex(/^[a-z-]+$/), z.number().positive())
    .default({})
    .describe(
      "Raised again while broken when a measured problem grows by this much since its last alert, by finding code: `{ stale: 3600 }` (seconds), `{ deviation: 100 }` (basis points), `{ violated: 1e18 }` (the invariant's measure). A new problem is always raised.",
    ),
}

const feedSource = z.union([
  z.object({ feed: address.describe('Another Chainlink feed for the same price.') }).strict(),
  z
    .object({
      call: viewCall.describe("A view giving the same price (a pool's TWAP through a view contract)…"),
      decimals: z.number().int().min(0).max(77).describe('…with this many decimals.'),
    })
    .strict(),
])

const chainlinkFeed = z
  .object({
    kind: z.literal('chainlink-feed').describe('The kind of check.'),
    ...common,
    feed: address.describe('The feed the protocol reads (the proxy, as protocols do).'),
    heartbeat: seconds.describe(
      "The feed's own heartbeat (s): each feed has its own, never one global limit.",
    ),
    grace: z
      .number()
      .int()
      .min(0)
      .default(60)
      .describe('How late past the heartbeat a round may land before the feed is stale (s).'),
    bounds: z
      .union([
        z.enum(['auto', 'none']),
        z
          .object({
            min: integer.describe('The lowest answer the aggregator accepts.'),
            max: integer.describe('The highest answer the aggregator accepts.'),
          })
          .strict(),
      ])
      .default('auto')
      .describe(
        "An answer at or past a bound is pinned (the LUNA failure mode). `auto` reads the aggregator's `minAnswer`/`maxAnswer` (through the proxy's `aggregator()`); `none` skips it; or give `{ min, max }`.",
      ),
    deviation: z
      .object({
        against: feedSource.describe('The second source: `{ feed }` or `{ call, decimals }`.'),
        maxBps: z
          .number()
          .positive()
          .describe('The largest difference allowed, in basis points of the second source.'),
      })
      .strict()
      .optional()
      .describe('Compare with a second source: stale-free but off by more than `maxBps` is broken.'),
    sequencer: z
      .object({
        feed: address.describe('The L2 sequencer uptime feed (answer 1 = down).'),
        gracePeriod: z
          .number()
          .int()
          .min(0)
          .default(3600)
          .describe('How long after the sequencer is back prices are still distrusted (s).'),
      })
      .strict()
      .optional()
      .describe('On an L2: the sequencer uptime feed and the grace period after it is back.'),
  })
  .strict()

const pausedCheck = z
  .object({
    kind: z.literal('paused').describe('The kind of check.'),
    ...common,
    contracts: z
      .array(
        z
          .object({
            address: address.describe('The contract.'),
            name: z.string().min(1).optional().describe('How the contract is named in alerts.'),
            function: z
              .string()
              .min(3)
              .default('paused()')
              .describe("A view returning a bool, e.g. `paused()` or Comet's `isSupplyPaused()`."),
            expect: z.boolean().default(false).describe('Must it be paused?'),
          })
          .strict(),
      )
      .min(1)
      .describe('Contracts and the pause state each must be in.'),
  })
  .strict()

const holder = z
  .object({
    function: z
      .string()
      .min(3)
      .optional()
      .describe('A view returning the holder, e.g. `owner()`, `pauseGuardian()`, `admin()`.'),
    role: z
      .string()
      .min(1)
      .optional()
      .describe(
        'An AccessControl role: its name (`PAUSER_ROLE`, hashed), `DEFAULT_ADMIN_ROLE`, or a 0x bytes32.',
      ),
    expected: z
      .array(address)
      .min(1)
      .describe(
        'Who must hold it; with a role, anyone else found holding it (AccessControlEnumerable) is drift.',
      ),
  })
  .strict()
  .refine((h) => (h.function === undefined) !== (h.role === undefined), {
    message: 'give exactly one of `function` or `role`',
  })

const rolesCheck = z
  .object({
    kind: z.literal('roles').describe('The kind of check.'),
    ...common,
    contract: address.describe('The contract whose powers are checked.'),
    holders: z.array(holder).min(1).describe('Each power (a view or a role) and who must hold it.'),
  })
  .strict()

const pauseReady = z
  .object({
    kind: z.literal('pause-ready').describe('The kind of check.'),
    ...common,
    every: z
      .union([z.literal('block'), seconds])
      .default(60)
      .describe('A simulation on the fork each time: once a minute by default, not each block.'),
    sender: address.describe(
      "The account that would send the pause (the veto key's address when custos sends it).",
    ),
    pauses: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe("The sender must hold the native token for this many pauses at today's fees."),
  })
  .strict()

const invariant = z
  .object({
    kind: z.literal('invariant').describe('The kind of check.'),
    ...common,
    calls: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an identifier'), viewCall)
      .describe(
        'Named view calls; each name is a CEL variable holding the result (an object of named outputs when there are several).',
      ),
    expression: z
      .string()
      .min(1)
      .describe('A CEL expression over the calls that must be true, e.g. `reserves >= target`.'),
    measure: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Optional CEL number: how far from healthy, bigger is worse (e.g. `target - reserves`), for `worseBy.violated`.',
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    const vars = []
    for (const [name, call] of Object.entries(c.calls)) {
      try {
        vars.push(callVariable(name, parseFunction(call.function)))
      } catch {
        return // the call's own issue says why
      }
    }
    for (const key of ['expression', 'measure'] as const) {
      const source = c[key]
      if (source === undefined) continue
      try {
        compileExpression(source, vars, key === 'expression' ? 'bool' : 'number')
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: [key], message: (error as Error).message })
      }
    }
  })

export const check = z.discriminatedUnion('kind', [
  chainlinkFeed,
  pausedCheck,
  rolesCheck,
  pauseReady,
  invariant,
])

/** A pause the circuit breaker may send: the only calls the veto key makes besides vetoes. */
export const pauseCall = z
  .object({
    name: id.describe('How checks (`pause:`), chat and the audit log name it.'),
    target: address.describe('The contract paused.'),
    function: z
      .string()
      .min(3)
      .describe("Its signature, e.g. `pause()` or Comet's `pause(bool,bool,bool,bool,bool)`."),
    args: z.array(constant).default([]).describe('Constant arguments, in order.'),
  })
  .strict()
  .superRefine((p, ctx) => encodable(p.function, p.args, ctx))

export const watchedProtocol = z
  .object({
    name: z.string().min(1).describe('How alerts name it.'),
    chainId: z.number().int().positive().describe('The chain it is on; needs an entry under `chains`.'),
    address: address.describe(
      'Its main contract (the pool, the comptroller): chat and silences may name the protocol by it.',
    ),
    pauses: z
      .array(pauseCall)
      .default([])
      .describe('The pause calls its checks may send (`action: pause`) and `pause-ready` tries.'),
    checks: z
      .array(check)
      .min(1)
      .describe('Its checks: chainlink-feed, paused, roles, pause-ready, invariant.'),
    escalation: chat.escalationOverride
      .optional()
      .describe("This protocol's escalation ladder, where it differs from the top-level one."),
    policy: acting.policyRules
      .partial()
      .optional()
      .describe("This protocol's policy rules, over the top-level `policy`."),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>()
    const pauses = new Set(p.pauses.map((x) => x.name))
    if (pauses.size !== p.pauses.length)
      ctx.addIssue({ code: 'custom', path: ['pauses'], message: 'pause names must be unique' })
    p.checks.forEach((c, i) => {
      if (seen.has(c.id))
        ctx.addIssue({ code: 'custom', path: ['checks', i, 'id'], message: `${c.id} is used twice` })
      seen.add(c.id)
      const needsPause = c.action === 'pause' || c.kind === 'pause-ready'
      if (c.pause !== undefined && !pauses.has(c.pause))
        ctx.addIssue({
          code: 'custom',
          path: ['checks', i, 'pause'],
          message: `no pause named ${c.pause} in this protocol's pauses`,
        })
      else if (needsPause && c.pause === undefined && p.pauses.length !== 1)
        ctx.addIssue({
          code: 'custom',
          path: ['checks', i, 'pause'],
          message: p.pauses.length
            ? 'name the pause (the protocol lists several)'
            : 'the protocol lists no pauses',
        })
    })
  })

export type ProtocolConfig = z.output<typeof watchedProtocol>
export type CheckConfig = z.output<typeof check>
export type PauseCallConfig = z.output<typeof pauseCall>
export type ViewCallConfig = z.output<typeof viewCall>

/** The pause a check sends or tries: its own `pause`, or the protocol's only one. */
export const pauseOf = (p: Pick<ProtocolConfig, 'pauses'>, c: Pick<CheckConfig, 'pause'>) =>
  c.pause === undefined
    ? p.pauses.length === 1
      ? p.pauses[0]
      : undefined
    : p.pauses.find((x) => x.name === c.pause)

/** An AccessControl role id from its config spelling. */
export function roleId(role: string): Hex {
  if (role === 'DEFAULT_ADMIN_ROLE') return `0x${'00'.repeat(32)}`
  if (isHex(role) && role.length === 66) return role.toLowerCase() as Hex
  return keccak256(toHex(role))
}
