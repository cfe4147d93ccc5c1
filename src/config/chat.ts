import { z } from 'zod'
import { LEVELS } from '../model/severity.js'
import { address } from '../model/zod.js'

// The chat channels, the signers they answer to, and the escalation ladder (`custos run`).

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
const secretRef = z.object({ env: envName }).strict()
/** Discord ids are snowflakes: decimal strings (quote them in YAML, they overflow numbers). */
const snowflake = z
  .string()
  .regex(/^\d{15,21}$/, 'expected a Discord id (a quoted string of 15 to 21 digits)')

export const signer = z
  .object({
    /** How chat shows this signer. */
    name: z.string().min(1),
    /** The signer's address (an owner of the Safes, a council member). */
    address,
    /** Discord user id: presses and commands from this user act for `address`. */
    discord: snowflake.optional(),
    /** Telegram user id, for Telegram's buttons. */
    telegram: z.number().int().positive().optional(),
    /** The Safes (addresses) this signer may act on from chat; every watched Safe when absent. */
    safes: z.array(address).optional(),
  })
  .strict()

export const discord = z
  .object({
    /** Environment variable holding the bot token. */
    tokenEnv: envName.default('DISCORD_TOKEN'),
    /** The channel alerts are posted to. */
    channelId: z.union([snowflake, secretRef]),
    /** Guild whose `/custos` commands are registered (they appear at once); global when absent. */
    guildId: snowflake.optional(),
    /** When set, a press or command also needs this role, besides being a listed signer. */
    signerRole: snowflake.optional(),
    minLevel: z.enum(LEVELS).default('low'),
    /** Register the `/custos` slash commands on start. */
    commands: z.boolean().default(true),
    /** REST API base, e.g. for an egress proxy (default Discord's own). */
    apiUrl: z.url().optional(),
  })
  .strict()

export const slack = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes'),
    /** The incoming webhook URL; it is a secret, so usually `{ env: NAME }`. */
    url: z.union([z.url(), secretRef]),
    minLevel: z.enum(LEVELS).default('medium'),
  })
  .strict()

export const telegram = z
  .object({
    tokenEnv: envName.default('TELEGRAM_BOT_TOKEN'),
    /** The chat alerts are posted to (a group id is negative). */
    chatId: z.union([z.number().int(), z.string().regex(/^@\w+$/, 'expected a numeric id or @channel')]),
    minLevel: z.enum(LEVELS).default('medium'),
    /** Answer the inline buttons by polling getUpdates (leave off when another program reads them). */
    callbacks: z.boolean().default(false),
    /** Bot API base (default Telegram's own). */
    apiUrl: z.url().optional(),
  })
  .strict()

export const pagerduty = z
  .object({
    /** Environment variable holding the Events v2 integration (routing) key. */
    routingKeyEnv: envName.default('PAGERDUTY_ROUTING_KEY'),
    /** Alerts at or above this level page at once; the escalation ladder pages the rest. */
    minLevel: z.enum(LEVELS).default('critical'),
    /** Events API endpoint (default PagerDuty's own). */
    url: z.url().optional(),
  })
  .strict()

const escalationFields = {
  /** Start the ladder for alerts at or above this level. */
  minLevel: z.enum(LEVELS).default('high'),
  /** Unacknowledged this long after the alert: mention every signer and DM them. */
  mentionAfterSeconds: z.number().int().positive().default(600),
  /** Still unacknowledged this long after the mentions: page (PagerDuty). */
  pageAfterSeconds: z.number().int().positive().default(600),
  /** Then mention and page again this often… */
  repeatAfterSeconds: z.number().int().positive().default(1800),
  /** …up to this many rounds in all. */
  maxRounds: z.number().int().min(1).max(100).default(3),
}

export const escalation = z
  .object({ enabled: z.boolean().default(true), ...escalationFields })
  .strict()
  .prefault({})

/** A Safe's own ladder: any field left out comes from the top-level `escalation`. */
export const escalationOverride = z
  .object({
    enabled: z.boolean().optional(),
    minLevel: escalationFields.minLevel.removeDefault().optional(),
    mentionAfterSeconds: escalationFields.mentionAfterSeconds.removeDefault().optional(),
    pageAfterSeconds: escalationFields.pageAfterSeconds.removeDefault().optional(),
    repeatAfterSeconds: escalationFields.repeatAfterSeconds.removeDefault().optional(),
    maxRounds: escalationFields.maxRounds.removeDefault().optional(),
  })
  .strict()

export type EscalationPolicy = z.output<typeof escalation>
export type SignerConfig = z.output<typeof signer>
