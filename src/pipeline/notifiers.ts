import type { Writable } from 'node:stream'
import { resolveSecret } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { createConsoleNotifier } from '../respond/console.js'
import type { Notifier } from '../respond/notifier.js'
import { createWebhookNotifier } from '../respond/webhook.js'

/** The channels the config asks for, with their secrets read from the environment. */
export function buildNotifiers(
  config: Config,
  env: NodeJS.ProcessEnv,
  stdout: Writable & { isTTY?: boolean },
): Notifier[] {
  const out: Notifier[] = []
  if (config.notify.console.enabled) {
    out.push(
      createConsoleNotifier({
        stream: stdout,
        minLevel: config.notify.console.minLevel,
        colour: Boolean(stdout.isTTY) && !env.NO_COLOR,
      }),
    )
  }
  for (const [i, w] of config.notify.webhooks.entries()) {
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
  return out
}
