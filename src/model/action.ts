/** What custos does with a verdict, weakest first; each action includes the ones before it. */
export const ACTIONS = ['log', 'notify', 'escalate', 'veto'] as const
export type Action = (typeof ACTIONS)[number]
