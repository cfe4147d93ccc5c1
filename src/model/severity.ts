/** Finding severities, lowest first. The risk level of a report is the highest severity found. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/** Risk levels: a severity, or `none` when nothing was found. */
export const LEVELS = ['none', ...SEVERITIES] as const
export type Level = (typeof LEVELS)[number]

export const levelRank = (level: Level): number => LEVELS.indexOf(level)

export const isLevel = (value: string): value is Level => (LEVELS as readonly string[]).includes(value)

export const maxLevel = (a: Level, b: Level): Level => (levelRank(a) >= levelRank(b) ? a : b)
