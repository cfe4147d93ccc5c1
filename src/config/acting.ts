import { z } from 'zod'
import { ACTIONS } from '../model/action.js'
import { LEVELS } from '../model/severity.js'

// What custos does on its own: the policy's rules, and the veto key that can do nothing else.

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')

export const policyRules = z
  .object({
    /** Veto at or above this level (none by default: custos vetoes only where told to). */
    vetoAt: z.enum(LEVELS).optional(),
    /** Actions by finding, whatever the level: `guard/code: log | notify | escalate | veto`. */
    findings: z
      .record(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'expected guard/code'), z.enum(ACTIONS))
      .default({}),
    /** This many signers acknowledging a proposal marks it reviewed: notified, not chased or vetoed. */
    reviewedBy: z.number().int().min(1).optional(),
  })
  .strict()

export const veto = z
  .object({
    /** The kill switch: off, a veto the policy asks for is escalated instead (and says so). */
    enabled: z.boolean().default(false),
    /** Decide and report, audit, but send nothing. */
    dryRun: z.boolean().default(true),
    /** Environment variable with the guardian's private key (0x…), or use `keystore`. */
    keyEnv: envName.optional(),
    /** An encrypted keystore (v3) file and the environment variable with its passphrase. */
    keystore: z
      .object({ file: z.string().min(1), passphraseEnv: envName })
      .strict()
      .optional(),
    /** Automatic vetoes (and pauses) per Safe, governor or protocol (per chain: one address on two chains has two budgets) per hour. */
    maxPerTargetPerHour: z.number().int().min(0).default(1),
    /** Automatic vetoes in all per hour. */
    maxPerHour: z.number().int().min(0).default(5),
    /**
     * How far past the Safe's current nonce a rejection may be signed. A rejection signed for a
     * far-future nonce waits there, ready to burn a legitimate transaction; beyond this the veto
     * is refused (audited) and the proposal escalated to the signers instead.
     */
    maxNonceAhead: z.number().int().min(0).default(10),
    /**
     * The circuit breaker: the pause calls listed under `protocols[].pauses`, sent with this key
     * when a check with `action: pause` breaks or a signer presses Pause. Needs `enabled` too;
     * counted in the same rate limits. Unpausing is never automatic.
     */
    pauses: z
      .object({
        /** Off until enabled: a pause the policy asks for is then escalated instead (and says so). */
        enabled: z.boolean().default(false),
        /** Decide, report and audit the pause, but send nothing. */
        dryRun: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({})
  .refine((v) => !(v.keyEnv && v.keystore), { message: 'give keyEnv or keystore, not both' })

export type PolicyRulesConfig = z.output<typeof policyRules>
export type VetoConfig = z.output<typeof veto>
