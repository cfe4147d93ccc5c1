import { z } from 'zod'
import { LEVELS } from '../model/severity.js'
import { address } from '../model/zod.js'
import { envName, secretRef } from './secret.js'

// The chat channels, the signers they answer to, and the escalation ladder (`custos run`).

/** Discord ids are snowflakes: decimal strings (quote them in YAML, they overflow numbers). */
const snowflake = z
  .string()
  .regex(/^\d{15,21}$/, 'expected a Discord id (a quoted string of 15 to 21 digits)')

const minLevel = (level: (typeof LEVELS)[number]) =>
  z.enum(LEVELS).default(level).describe('Alerts at or above this level go to this channel.')

export const signer = z
  .object({
    name: z.string().min(1).describe('How chat shows this signer.'),
    address: address.describe("The signer's address (an owner of the Safes, a council member)."),
    discord: snowflake
      .optional()
      .describe('Discord user id (a quoted string): presses and commands from this user act for `address`.'),
    telegram: z.number().int().positive().optional().describe("Telegram user id, for Telegram's buttons."),
    safes: z
      .array(address)
      .optional()
      .describe('The Safes (addresses) this signer may act on from chat; every watched Safe when absent.'),
  })
  .strict()

export const discord = z
  .object({
    tokenEnv: envName.default('DISCORD_TOKEN').describe('Environment variable holding the bot token.'),
    channelId: z
      .union([snowflake, secretRef])
      .describe('The channel alerts are posted to (a quoted id, or `{ env: NAME }`).'),
    guildId: snowflake
      .optional()
      .describe('Guild whose `/custos` commands are registered (they appear at once); global when absent.'),
    signerRole: snowflake
      .optional()
      .describe('When set, a press or command also needs this role, besides being a listed signer.'),
    minLevel: minLevel('low'),
    commands: z.boolean().default(true).describe('Register the `/custos` slash commands on start.'),
    apiUrl: z.url().optional().describe("REST API base, e.g. for an egress proxy (default Discord's own)."),
  })
  .strict()

export const slack = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes')
      .describe('Names this webhook in logs and the audit log.'),
    url: z
      .union([z.url(), secretRef])
      .describe('The incoming webhook URL; it is a secret, so usually `{ env: NAME }`.'),
    minLevel: minLevel('medium'),
  })
  .strict()

export const telegram = z
  .object({
    tokenEnv: envName.default('TELEGRAM_BOT_TOKEN').describe('Environment variable holding the bot token.'),
    chatId: z
      .union([z.number().int(), z.string().regex(/^@\w+$/, 'expected a numeric id or @channel')])
      .describe('The chat alerts are posted to: a numeric id (a group id is negative) or `@channel`.'),
    minLevel: minLevel('medium'),
    callbacks: z
      .boolean()
      .default(false)
      .describe(
        'Answer the inline buttons by polling getUpdates (leave off when another program reads them).',
      ),
    apiUrl: z.url().optional().describe("Bot API base (default Telegram's own)."),
  })
  .strict()

export const pagerduty = z
  .object({
    routingKeyEnv: envName
      .default('PAGERDUTY_ROUTING_KEY')
      .describe('Environment variable holding the Events v2 integration (routing) key.'),
    minLevel: z
      .enum(LEVELS)
      .default('critical')
      .describe('Alerts at or above this level page at once; the escalation ladder pages the rest.'),
    url: z.url().optional().describe("Events API endpoint (default PagerDuty's own)."),
  })
  .strict()

const escalationFields = {
  minLevel: z.enum(LEVELS).default('high').describe('Start the ladder for alerts at or above this level.'),
  mentionAfterSeconds: z
    .number()
    .int()
    .positive()
    .default(600)
    .describe('Unacknowledged this long after the alert: mention every signer and DM them.'),
  pageAfterSeconds: z
    .number()
    .int()
    .positive()
    .default(600)
    .describe('Still unacknowledged this long after the mentions: page (PagerDuty).'),
  repeatAfterSeconds: z
    .number()
    .int()
    .positive()
    .default(1800)
    .describe('Then mention and page again this often…'),
  maxRounds: z.number().int().min(1).max(100).default(3).describe('…up to this many rounds in all.'),
}

export const escalation = z
  .object({
    enabled: z.boolean().default(true).describe('Chase unacknowledged alerts up the ladder.'),
    ...escalationFields,
  })
  .strict()
  .prefault({})

/** A Safe's own ladder: any field left out comes from the top-level `escalation`. */
export const escalationOverride = z
  .object({
    enabled: z.boolean().optional().describe('Chase unacknowledged alerts up the ladder.'),
    minLevel: escalationFields.minLevel
      .removeDefault()
      .optional()
      .describe(escalationFields.minLevel.description ?? ''),
    mentionAfterSeconds: escalationFields.mentionAfterSeconds
      .removeDefault()
      .optional()
      .describe(escalationFields.mentionAfterSeconds.description ?? ''),
    pageAfterSeconds: escalationFields.pageAfterSeconds
      .removeDefault()
      .optional()
      .describe(escalationFields.pageAfterSeconds.description ?? ''),
    repeatAfterSeconds: escalationFields.repeatAfterSeconds
      .removeDefault()
      .optional()
      .describe(escalationFields.repeatAfterSeconds.description ?? ''),
    maxRounds: escalationFields.maxRounds
      .removeDefault()
      .optional()
      .describe(escalationFields.maxRounds.description ?? ''),
  })
  .strict()

export type EscalationPolicy = z.output<typeof escalation>
export type SignerConfig = z.output<typeof signer>
