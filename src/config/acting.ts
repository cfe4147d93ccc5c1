import { z } from 'zod'
import { ACTIONS } from '../model/action.js'
import { LEVELS } from '../model/severity.js'
import { envName } from './secret.js'

// What custos does on its own: the policy's rules, and the veto key that can do nothing else.

export const policyRules = z
  .object({
    vetoAt: z
      .enum(LEVELS)
      .optional()
      .describe('Veto at or above this level (none by default: custos vetoes only where told to).'),
    findings: z
      .record(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'expected guard/code'), z.enum(ACTIONS))
      .default({})
      .describe(
        'Actions by finding, whatever the level: `guard/code: log | notify | escalate | veto`, e.g. `safe-state-change/singleton-changed: veto`. Each key must be a code a guard declares (`custos guards`) or `<guard>/guard-error`: checked at boot.',
      ),
    reviewedBy: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'This many signers acknowledging a proposal marks it reviewed: notified, not chased or vetoed.',
      ),
  })
  .strict()

export const veto = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe('The kill switch: off, a veto the policy asks for is escalated instead (and says so).'),
    dryRun: z.boolean().default(true).describe('Decide and report, audit, but send nothing.'),
    keyEnv: envName
      .optional()
      .describe("Environment variable with the guardian's private key (0x…), or use `keystore`."),
    keystore: z
      .object({
        file: z.string().min(1).describe('An encrypted keystore (v3) file, relative to the config file.'),
        passphraseEnv: envName.describe('Environment variable with its passphrase.'),
      })
      .strict()
      .optional()
      .describe('An encrypted keystore (v3) holding the guardian key, instead of `keyEnv`.'),
    maxPerTargetPerHour: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe(
        'Automatic vetoes (and pauses) per Safe, governor or protocol per hour (per chain: one address on two chains has two budgets).',
      ),
    maxPerHour: z.number().int().min(0).default(5).describe('Automatic vetoes in all per hour.'),
    maxNonceAhead: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe(
        "How far past the Safe's current nonce a rejection may be signed. A rejection signed for a far-future nonce waits there, ready to burn a legitimate transaction; beyond this the veto is refused (audited) and the proposal escalated to the signers instead.",
      ),
    quorum: z
      .number()
      .int()
      .min(1)
      .max(9)
      .default(1)
      .describe(
        'Replicas (store.driver postgres) that must each judge a proposal at the veto level, reading the chain through their own RPC endpoints, before an automatic veto is sent; alerts never wait. 1: the replica that judged it acts alone.',
      ),
    pauses: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Off until enabled: a pause the policy asks for is then escalated instead (and says so).',
          ),
        dryRun: z.boolean().default(true).describe('Decide, report and audit the pause, but send nothing.'),
      })
      .strict()
      .prefault({})
      .describe(
        'The circuit breaker: the pause calls listed under `protocols[].pauses`, sent with this key when a check with `action: pause` breaks or a signer presses Pause. Needs `enabled` too; counted in the same rate limits. Unpausing is never automatic.',
      ),
  })
  .strict()
  .prefault({})
  .refine((v) => !(v.keyEnv && v.keystore), { message: 'give keyEnv or keystore, not both' })

export type PolicyRulesConfig = z.output<typeof policyRules>
export type VetoConfig = z.output<typeof veto>
