import { pino } from 'pino'
import type { Logger } from '../model/logger.js'

/**
 * Structured JSON logs on stderr. Secrets never reach a log line: keys that may hold one are
 * censored, and URLs are only ever logged redacted by the code that logs them.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { app: 'custos' },
      redact: {
        paths: [
          'apiKey',
          '*.apiKey',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'authorization',
          '*.authorization',
          'privateKey',
          '*.privateKey',
          'rpcUrl',
          '*.rpcUrl',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  ) as unknown as Logger
}
