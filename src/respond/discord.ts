import { createHash } from 'node:crypto'
import {
  ApplicationCommandOptionType,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Interaction,
  MessageFlags,
  RateLimitError,
  REST,
  type RESTOptions,
  Routes,
} from 'discord.js'
import type { Alert, EscalationNotice, OutboxPayload, ProposalUpdate } from '../model/alert.js'
import type { Logger } from '../model/logger.js'
import { errorText } from '../model/redact.js'
import type { Level } from '../model/severity.js'
import { clip } from '../model/text.js'
import { type ChatCommands, type ChatStore, type ChatUser, type PressResult, parseButtonId } from './chat.js'
import { alertMessage } from './discord-render.js'
import { DeliveryError, type Notifier } from './notifier.js'

/** Longest rate-limit wait discord.js may sleep through itself; longer ones go back to the outbox. */
const MAX_INLINE_WAIT_MS = 5000
/** Discord wants an answer to an interaction within 3 s: past this, defer and answer later. */
const DEFER_AFTER_MS = 1500

export type DiscordOptions = {
  token: string
  channelId: string
  /** Where `/custos` is registered; globally when absent. */
  guildId?: string
  minLevel: Level
  /** REST API base (discord.js `rest.api`), e.g. a proxy or a test double. */
  apiUrl?: string
  registerCommands: boolean
  chat: ChatStore
  logger: Logger
}

/**
 * Discord as a two-way channel: a notifier that posts alerts as embeds with buttons through the
 * REST API, and a gateway connection (outbound only) that receives button presses and `/custos`
 * commands. Delivery has a REST client of its own: a failed gateway login destroys the
 * discord.js client and clears its REST client's token, and a gateway outage must never stop
 * an alert.
 */
export function createDiscord(opts: DiscordOptions) {
  const restOptions: Partial<RESTOptions> = {
    ...(opts.apiUrl ? { api: opts.apiUrl } : {}),
    // discord.js honours 429s by sleeping; a long wait is handed back to the outbox instead, so
    // one rate-limited channel never holds a delivery round.
    rejectOnRateLimit: (limit) => limit.retryAfter > MAX_INLINE_WAIT_MS,
    timeout: 15_000,
    retries: 1,
  }
  // The gateway client's own REST client answers interactions, which arrive only while it is
  // logged in.
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: restOptions })
  const rest = new REST(restOptions).setToken(opts.token)
  const log = opts.logger

  const post = async (channelId: string, body: Record<string, unknown>) =>
    (await rest.post(Routes.channelMessages(channelId), { body })) as { id: string; channel_id: string }

  // enforce_nonce makes Discord answer a repeat of the same nonce with the message it already
  // created: a crash between posting and recording the delivery does not post twice.
  const nonceOf = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 25)

  async function deliverAlert(alert: Alert) {
    const state = alert.proposalId ? await opts.chat.state(alert.proposalId) : undefined
    const msg = await post(opts.channelId, {
      ...alertMessage(alert, state),
      nonce: nonceOf(alert.dedupKey),
      enforce_nonce: true,
    })
    return { ref: `${msg.channel_id}:${msg.id}` }
  }

  /** Redraws every message about the proposal with its current state (a deleted one is skipped). */
  async function refresh(proposalId: string) {
    const state = await opts.chat.state(proposalId)
    for (const m of await opts.chat.messages(proposalId, 'discord')) {
      const [channelId, messageId] = m.ref.split(':') as [string, string]
      try {
        await rest.patch(Routes.channelMessage(channelId, messageId), {
          body: alertMessage(m.payload as Alert, state),
        })
      } catch (error) {
        if (error instanceof DiscordAPIError && error.status === 404) continue
        throw error
      }
    }
  }

  /** The channel mention of every signer, under the latest alert; or, with `dmTo`, one DM. */
  async function mention(notice: EscalationNotice) {
    const minutes = Math.max(1, Math.round(notice.unacknowledgedSeconds / 60))
    const text = `🔔 **Unacknowledged for ${minutes} min** (round ${notice.round}): ${clip(notice.title, 300)}`
    if (notice.dmTo) {
      try {
        const dm = (await rest.post(Routes.userChannels(), { body: { recipient_id: notice.dmTo } })) as {
          id: string
        }
        await post(dm.id, {
          content: clip(`${text}\n${notice.summary}${notice.link ? `\n${notice.link}` : ''}`, 2000),
          allowed_mentions: { parse: [] },
          nonce: nonceOf(notice.dedupKey),
          enforce_nonce: true,
        })
      } catch (error) {
        // DMs closed or not in the guild: retrying cannot help, and the channel mention went out.
        if (error instanceof DiscordAPIError && error.status < 500 && error.status !== 429) {
          log.warn({ user: notice.dmTo, error: error.message }, 'could not DM a signer on Discord')
          return
        }
        throw error
      }
      return
    }
    const ids = notice.signers.flatMap((s) => (s.discord ? [s.discord] : []))
    const latest = (await opts.chat.messages(notice.proposalId, 'discord')).at(-1)
    await post(opts.channelId, {
      content: clip(`${text}\n${ids.map((id) => `<@${id}>`).join(' ')}`, 2000),
      allowed_mentions: { users: ids.slice(0, 100) },
      nonce: nonceOf(notice.dedupKey),
      enforce_nonce: true,
      ...(latest
        ? { message_reference: { message_id: latest.ref.split(':')[1], fail_if_not_exists: false } }
        : {}),
    })
  }

  const notifier: Notifier = {
    channel: 'discord',
    minLevel: opts.minLevel,
    accepts: (p: ProposalUpdate | EscalationNotice) => p.kind === 'update' || p.stage === 'mention',
    async deliver(payload: OutboxPayload) {
      try {
        if (payload.kind === 'update') {
          await refresh(payload.proposalId)
          return undefined
        }
        if (payload.kind === 'escalation') {
          await mention(payload)
          return undefined
        }
        return await deliverAlert(payload)
      } catch (error) {
        throw deliveryError(error)
      }
    },
  }

  // --- the gateway side: buttons and commands -------------------------------------------

  const userOf = (i: ButtonInteraction | ChatInputCommandInteraction): ChatUser => {
    const m = i.member
    const roles = !m ? [] : Array.isArray(m.roles) ? (m.roles as string[]) : [...m.roles.cache.keys()]
    return { channel: 'discord', id: i.user.id, name: i.user.globalName ?? i.user.username, roles }
  }

  /** Answers within Discord's 3 s: if `work` is slow, defers first and follows up. */
  async function answerInTime<T>(
    work: Promise<T>,
    defer: () => Promise<unknown>,
  ): Promise<{ value: T; deferred: boolean }> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), DEFER_AFTER_MS)
    })
    const first = await Promise.race([work, late])
    clearTimeout(timer)
    if (first !== 'late') return { value: first as T, deferred: false }
    await defer()
    return { value: await work, deferred: true }
  }

  async function onButton(i: ButtonInteraction) {
    const parsed = parseButtonId(i.customId)
    if (!parsed) return
    const work = need().press({
      channel: 'discord',
      interactionId: i.id,
      user: userOf(i),
      action: parsed.action,
      ref: parsed.ref,
    })
    const { value: result, deferred } = await answerInTime<PressResult>(work, () =>
      i.deferReply({ flags: MessageFlags.Ephemeral }),
    )
    if (result.outcome === 'duplicate') return
    if (result.outcome !== 'done' || !result.proposalId) {
      const content = `⛔ ${clip(result.message, 1900)}`
      await (deferred ? i.editReply({ content }) : i.reply({ content, flags: MessageFlags.Ephemeral }))
      return
    }
    // Accepted: the pressed message is redrawn with who acted, as the answer itself.
    const [state, posted] = await Promise.all([
      opts.chat.state(result.proposalId),
      opts.chat.messages(result.proposalId, 'discord'),
    ])
    const mine = posted.find((m) => m.ref === `${i.channelId}:${i.message.id}`) ?? posted.at(-1)
    if (deferred || !mine) {
      await (deferred
        ? i.editReply({ content: clip(result.message, 1900) })
        : i.reply({ content: clip(result.message, 1900), flags: MessageFlags.Ephemeral }))
      return
    }
    const body = alertMessage(mine.payload as Alert, state)
    await i.update({ embeds: body.embeds, components: body.components })
    // The redraw shows who acted, not what custos did about it (a veto sent, or why not): that
    // is said to the presser, as the deferred answer does.
    await i.followUp({ content: clip(result.message, 1900), flags: MessageFlags.Ephemeral })
  }

  async function onCommand(i: ChatInputCommandInteraction) {
    if (i.commandName !== 'custos') return
    const user = userOf(i)
    const commands = need()
    const sub = i.options.getSubcommand()
    const run = async () => {
      switch (sub) {
        case 'status':
          return { ...(await commands.status(user, i.id)), ephemeral: true }
        case 'report':
          return { ...(await commands.report(user, i.id, i.options.getString('id', true))), ephemeral: true }
        case 'silence':
          return {
            ...(await commands.silence(
              user,
              i.id,
              i.options.getString('target', true),
              i.options.getString('duration', true),
            )),
            ephemeral: false,
          }
        case 'unsilence':
          return {
            ...(await commands.unsilence(user, i.id, i.options.getString('target', true))),
            ephemeral: false,
          }
        default:
          return { ok: false, message: `unknown command ${sub}`, ephemeral: true }
      }
    }
    const work = run()
    const { value, deferred } = await answerInTime(work, () =>
      i.deferReply({ flags: MessageFlags.Ephemeral }),
    )
    if (value.duplicate) return // a replay: answered the first time
    const refused = !value.ok
    const body = {
      content: clip(refused ? `⛔ ${value.message}` : value.message, 2000),
      ...('alert' in value && value.alert ? { embeds: alertMessage(value.alert).embeds } : {}),
      allowedMentions: { parse: [] },
    }
    if (deferred) await i.editReply(body)
    else await i.reply({ ...body, ...(refused || value.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) })
  }

  client.on(Events.InteractionCreate, (i: Interaction) => {
    const handled = i.isButton() ? onButton(i) : i.isChatInputCommand() ? onCommand(i) : undefined
    void handled?.catch((error) => {
      log.warn({ interaction: i.id, error: errorText(error) }, 'Discord interaction failed')
      if (i.isRepliable() && !i.replied && !i.deferred)
        void i
          .reply({ content: 'custos could not handle this; see its logs', flags: MessageFlags.Ephemeral })
          .catch((e) =>
            log.warn({ interaction: i.id, error: errorText(e) }, 'could not tell the presser it failed'),
          )
    })
  })
  client.on(Events.Error, (error) => log.warn({ error: errorText(error) }, 'Discord client error'))

  async function registerCommands() {
    const appId = client.application?.id ?? client.user?.id
    if (!appId) return
    const route = opts.guildId
      ? Routes.applicationGuildCommands(appId, opts.guildId)
      : Routes.applicationCommands(appId)
    await rest.put(route, { body: [COMMAND] })
  }

  let commands: ChatCommands | undefined
  const need = () => {
    if (!commands) throw new Error('custos is starting; try again in a moment')
    return commands
  }
  let stopped = false
  let retry: NodeJS.Timeout | undefined
  async function connect(attempt = 0): Promise<void> {
    if (stopped) return
    try {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()))
      await client.login(opts.token)
      await ready
      log.info({ user: client.user?.tag }, 'connected to Discord')
      if (opts.registerCommands)
        await registerCommands().catch((error) =>
          log.warn({ error: errorText(error) }, 'could not register the /custos commands'),
        )
    } catch (error) {
      // The gateway is only for buttons and commands: alerts still go out through REST.
      const wait = Math.min(60_000, 1000 * 2 ** attempt)
      log.warn({ error: errorText(error), retryInMs: wait }, 'could not connect to the Discord gateway')
      retry = setTimeout(() => void connect(attempt + 1), wait)
    }
  }

  return {
    notifier,
    client,
    /** Connects the gateway, answering with `chat` (failures retry with backoff in the background). */
    start(chat: ChatCommands) {
      commands = chat
      void connect()
      return Promise.resolve()
    },
    async stop() {
      stopped = true
      if (retry) clearTimeout(retry)
      await client.destroy()
      rest.clearHashSweeper()
      rest.clearHandlerSweeper()
    },
  }
}

export type Discord = ReturnType<typeof createDiscord>

/** The outbox's reading of a discord.js failure: when to retry, or that retrying cannot help. */
function deliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error
  if (error instanceof RateLimitError)
    return new DeliveryError(`discord: rate limited on ${error.route}`, {
      retryAfterMs: error.retryAfter,
      cause: error,
    })
  if (error instanceof DiscordAPIError) {
    // 400 (the body is invalid) cannot get better; 401/403/404 may be a rotation or a permission
    // being fixed, and a critical alert deserves the retries.
    return new DeliveryError(`discord: HTTP ${error.status} ${error.code}: ${clip(error.message, 300)}`, {
      permanent: error.status === 400,
      cause: error,
    })
  }
  return new DeliveryError(`discord: ${errorText(error)}`, { cause: error })
}

const targetOption = {
  type: ApplicationCommandOptionType.String,
  name: 'target',
  description: 'Safe address or name',
  required: true,
  max_length: 100,
}

/** `/custos status | report | silence | unsilence`. */
export const COMMAND = {
  name: 'custos',
  description: 'custos: the guard that checks what your Safe transactions really do',
  options: [
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'status',
      description: 'Sources, last blocks and pending proposals',
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'report',
      description: 'The latest report of a proposal',
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'id',
          description: 'Report number, proposal id or safeTxHash',
          required: true,
          max_length: 200,
        },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'silence',
      description: 'Mute alerts below critical for a Safe (signers only)',
      options: [
        targetOption,
        {
          type: ApplicationCommandOptionType.String,
          name: 'duration',
          description: 'e.g. 30m, 2h, 1d (at most 7d)',
          required: true,
          max_length: 10,
        },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'unsilence',
      description: 'End a silence (signers only)',
      options: [targetOption],
    },
  ],
}
