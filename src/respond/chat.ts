import type { Alert } from '../model/alert.js'
import type { PostedMessage, ProposalStatus, SignerAction } from '../model/store.js'

// What the two-way chat channels (Discord, Telegram) share: the button actions, what a press
// returns, and the state a message about a proposal shows.

export const CHAT_ACTIONS = ['ack', 'escalate', 'veto', 'pause', 'approve'] as const
export type ChatAction = (typeof CHAT_ACTIONS)[number]

/** A button press, from whichever chat: checked against the signer map before anything happens. */
export type Press = {
  channel: 'discord' | 'telegram'
  /** The chat's id for this interaction (replays carry the same one). */
  interactionId: string
  user: { id: string; name: string; roles?: string[] }
  action: ChatAction
  /** The proposal's short reference, from the button. */
  ref: string
}

export type PressResult = {
  /** `duplicate`: a replay, to be ignored without an answer. */
  outcome: 'done' | 'refused' | 'duplicate' | 'unknown'
  /** What to tell the presser (ephemerally). */
  message: string
  proposalId?: string
}

/** What a message about a proposal shows besides the alert: where it stands and who acted. */
export type ChatState = {
  status: ProposalStatus | undefined
  acks: SignerAction[]
  vetoRequests: SignerAction[]
  /** The outcomes of custos's own veto attempts (sent, proposed, dry-run…), oldest first. */
  vetoes?: string[]
  /** A protocol check's episode: its veto is the protocol's pause. */
  check?: boolean
}

/** What two-way channels read from the store to draw and redraw their messages. */
export type ChatStore = {
  state(proposalId: string): Promise<ChatState>
  messages(proposalId: string, channel: string): Promise<PostedMessage[]>
}

/** The button payload: `custos:<action>:<ref>` (at most 36 characters). */
export const buttonId = (action: ChatAction, ref: string) => `custos:${action}:${ref}`

export function parseButtonId(id: string): { action: ChatAction; ref: string } | undefined {
  const m = /^custos:(ack|escalate|veto|pause|approve):([A-Za-z0-9_-]{16})$/.exec(id)
  return m ? { action: m[1] as ChatAction, ref: m[2] as string } : undefined
}

const short = (a: string) => (a.length === 42 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a)
/** Actors are written `<signer name> via <chat>:<user id>`. */
export const actorName = (channel: string, userId: string, name: string) => `${name} via ${channel}:${userId}`
const who = (a: SignerAction) => `${a.actor.split(' via ')[0]} (${short(a.signer)})`

/** Lines that say where a proposal stands, for the foot of its messages. */
export function stateLines(state: ChatState): string[] {
  const lines: string[] = []
  const closed: Partial<Record<ProposalStatus, string>> = {
    executed: '✅ Executed on chain',
    failed: '⚠️ Executed on chain, and the execution failed',
    replaced: '↪️ Replaced: another transaction used its nonce',
    deleted: '🗑️ Removed from the transaction service',
    resolved: '✅ Recovered: the check passes again',
  }
  if (state.status && closed[state.status]) lines.push(closed[state.status] as string)
  for (const a of state.acks) lines.push(`👀 Acknowledged by ${who(a)}`)
  for (const v of state.vetoRequests)
    lines.push(state.check ? `⏸️ Pause requested by ${who(v)}` : `🛑 Veto requested by ${who(v)}`)
  const vetoed: Record<string, string> = state.check
    ? {
        sent: '⏸️ custos paused the protocol on chain (unpausing is never automatic)',
        'dry-run': '⏸️ custos would pause the protocol (dry run: nothing sent)',
      }
    : {
        sent: '🛑 custos vetoed it on chain',
        proposed: '🛑 custos proposed a rejection at this nonce: co-sign it to stop this transaction',
        'dry-run': '🛑 custos would veto it (dry run: nothing sent)',
      }
  const last = [...(state.vetoes ?? [])].reverse().find((s) => vetoed[s])
  if (last) lines.push(vetoed[last] as string)
  return lines
}

/** True once nothing can be done about the proposal any more: its buttons go. */
export const isClosed = (state: ChatState) => state.status !== undefined && state.status !== 'pending'

/** Alerts that are about a proposal get buttons; events and health alerts do not. */
export const hasButtons = (alert: Alert) => alert.kind === 'report' && Boolean(alert.ref && alert.proposalId)

/**
 * The buttons of an alert about a proposal: Veto for a transaction or a proposal; for a protocol
 * check, Pause when the protocol has a pause to send, and nothing to veto.
 */
export function chatActions(alert: Alert): ChatAction[] {
  if (alert.pause) return ['ack', 'escalate', 'pause']
  if (alert.proposalId?.includes(':check:')) return ['ack', 'escalate']
  // On the custos Guard a signer can let it run now, as well as stop it.
  if (alert.guarded) return ['ack', 'escalate', 'approve', 'veto']
  return ['ack', 'escalate', 'veto']
}

export const ACTION_LABELS: Record<ChatAction, string> = {
  ack: 'Acknowledge',
  escalate: 'Escalate',
  veto: 'Veto',
  pause: 'Pause',
  approve: 'Approve',
}

/** Who ran a command, as the chat knows them. */
export type ChatUser = { channel: 'discord' | 'telegram'; id: string; name: string; roles?: string[] }

export type CommandResult = {
  ok: boolean
  message: string
  alert?: Alert
  /** A replayed interaction: nothing was done, and nothing should be answered. */
  duplicate?: boolean
}

/** What chat users can ask of custos; every answer is checked against the signer map first. */
export type ChatCommands = {
  press(p: Press): Promise<PressResult>
  /** Sources, last blocks, pending proposals (signers only: it shows what is pending). */
  status(user: ChatUser, interactionId: string): Promise<CommandResult>
  /** The latest alert of a proposal, by report id, proposal id or safeTxHash (signers only). */
  report(user: ChatUser, interactionId: string, query: string): Promise<CommandResult>
  silence(user: ChatUser, interactionId: string, target: string, duration: string): Promise<CommandResult>
  unsilence(user: ChatUser, interactionId: string, target: string): Promise<CommandResult>
}
