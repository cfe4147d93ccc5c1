import { createHash } from 'node:crypto'

/**
 * A proposal's short reference: 16 base64url characters (96 bits) of the SHA-256 of its id.
 * Chat buttons carry it because the ids do not fit (Discord custom ids hold 100 characters,
 * Telegram callback data 64 bytes); the store maps it back.
 */
export const proposalRef = (proposalId: string): string =>
  createHash('sha256').update(proposalId).digest('base64url').slice(0, 16)
