import type { Logger } from './logger.js'
import { errorText } from './redact.js'

/**
 * Runs every step of a shutdown in order, each whatever the others did: a store that fails while
 * the last alerts are delivered must not leave the forks running. Each failure is logged with
 * its step; the names of the steps that failed are returned.
 */
export async function stopAll(
  logger: Logger,
  steps: Array<[name: string, step: () => unknown]>,
): Promise<string[]> {
  const failed: string[] = []
  for (const [name, step] of steps) {
    try {
      await step()
    } catch (error) {
      failed.push(name)
      logger.warn({ step: name, error: errorText(error) }, 'a step of stopping failed; the others go on')
    }
  }
  return failed
}
