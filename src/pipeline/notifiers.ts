import type { Writable } from 'node:stream'
import { resolveSecret } from '../config/load.js'
import type { Config } from '../config/schema.js'
import type { Logger } from '../model/logger.js'
import type { Store } from '../model/store.js'
import type { ChatCommands } from '../respond/chat.js'
import { createConsoleNotifier } from '../respond/console.js'
import type { Notifier } from '../respond/notifier.js'
import { createPagerDutyNotifier } from '../respond/pagerduty.js'
import { createSlackNotifier } from '../respond/slack.js'
import { createTelegramNotifier } from '../respond/telegram.js'
import { createTelegramCallbacks } from '../respond/telegram-callbacks.js'
import { createWebhookNotifier } from '../respond/webhook.js'
import { chatStore } from './updates.js'

/** The configured channels: one-way notifiers, and the two-way parts started with the watcher. */
export type Channels = {
  notifiers: Notifier[]
  /** Connects Discord's gateway and Telegram's callbacks, answering with `commands`. */
  start(commands: ChatCommands): Promise<void>
  stop(): Promise<void>
}

/**
 * The channels the config asks for, with their secrets read from the environment. discord.js
 * (about 45 MB and a third of a second to load) is loaded only when Discord is configured.
 */
export async function buildNotifiers(
  config: Config,
  env: NodeJS.ProcessEnv,
  stdout: Writable & { isTTY?: boolean },
  deps: { store: Store; logger: Logger },
): Promise<Channels> {
  const out: Notifier[] = []
  const starts: Array<(commands: ChatCommands) => Promise<void>> = []
  const stops: Array<() => Promise<void>> = []
  const n = config.notify
  const chat = chatStore(deps)
  if (n.console.enabled) {
    out.push(
      createConsoleNotifier({
        stream: stdout,
        minLevel: n.console.minLevel,
        colour: Boolean(stdout.isTTY) && !env.NO_COLOR,
      }),
    )
  }
  for (const [i, w] of n.webhooks.entries()) {
    const secret = w.secretEnv
      ? resolveSecret({ env: w.secretEnv }, env, `notify.webhooks[${i}].secretEnv`)
      : undefined
    out.push(
      createWebhookNotifier({
        name: w.name,
        url: resolveSecret(w.url, env, `notify.webhooks[${i}].url`),
        minLevel: w.minLevel,
        ...(secret ? { secret } : {}),
      }),
    )
  }
  if (n.discord) {
    const d = n.discord
    const { createDiscord } = await import('../respond/discord.js')
    const discord = createDiscord({
      token: resolveSecret({ env: d.tokenEnv }, env, 'notify.discord.tokenEnv'),
      channelId: resolveSecret(d.channelId, env, 'notify.discord.channelId'),
      ...(d.guildId ? { guildId: d.guildId } : {}),
      ...(d.apiUrl ? { apiUrl: d.apiUrl } : {}),
      minLevel: d.minLevel,
      registerCommands: d.commands,
      chat,
      logger: deps.logger,
    })
    out.push(discord.notifier)
    starts.push((commands) => discord.start(commands))
    stops.push(() => discord.stop())
  }
  for (const [i, s] of n.slack.entries()) {
    out.push(
      createSlackNotifier({
        name: s.name,
        url: resolveSecret(s.url, env, `notify.slack[${i}].url`),
        minLevel: s.minLevel,
      }),
    )
  }
  if (n.telegram) {
    const t = n.telegram
    const token = resolveSecret({ env: t.tokenEnv }, env, 'notify.telegram.tokenEnv')
    out.push(
      createTelegramNotifier({
        token,
        chatId: t.chatId,
        minLevel: t.minLevel,
        ...(t.apiUrl ? { apiUrl: t.apiUrl } : {}),
        chat,
        // Buttons nobody answers would leave a signer pressing in vain.
        buttons: t.callbacks,
      }),
    )
    if (t.callbacks) {
      let loop: ReturnType<typeof createTelegramCallbacks> | undefined
      starts.push(async (commands) => {
        loop = createTelegramCallbacks({
          token,
          ...(t.apiUrl ? { apiUrl: t.apiUrl } : {}),
          onPress: (p) => commands.press(p),
          // The offset is a cursor: a restart does not answer the same press twice.
          offset: {
            load: async () => {
              const v = await deps.store.getCursor('telegram-updates', 0)
              return v === undefined ? undefined : Number(v)
            },
            save: (value) =>
              deps.store
                .commit({ cursors: [{ source: 'telegram-updates', chainId: 0, value: String(value) }] })
                .then(() => undefined),
          },
          logger: deps.logger,
        })
        loop.start()
      })
      stops.push(async () => loop?.stop())
    }
  }
  if (n.pagerduty) {
    const p = n.pagerduty
    out.push(
      createPagerDutyNotifier({
        routingKey: resolveSecret({ env: p.routingKeyEnv }, env, 'notify.pagerduty.routingKeyEnv'),
        minLevel: p.minLevel,
        ...(p.url ? { url: p.url } : {}),
      }),
    )
  }
  return {
    notifiers: out,
    async start(commands) {
      for (const s of starts) await s(commands)
    },
    async stop() {
      await Promise.allSettled(stops.map((s) => s()))
    },
  }
}
