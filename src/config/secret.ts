import { z } from 'zod'

// One way to name a secret, for every part of the configuration: secrets never sit in the file.

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The name of an environment variable (letters, digits and `_`, not starting with a digit). */
export const envName = z.string().regex(ENV_NAME, 'expected an environment variable name')

/** `{ env: NAME }`: the value is read from the environment variable NAME when custos starts. */
export const secretRef = z
  .object({ env: envName.describe('Name of the environment variable holding the value.') })
  .strict()
  .describe('A secret, read from the environment variable NAME: `{ env: NAME }`.')

export type SecretRef = z.output<typeof secretRef>
