// Typed values in JSON columns: a bigint is written as `{ "$bigint": "123" }` and read back as a
// bigint, so an origin's nonce or a call's value survives the store exactly (a plain string
// would come back as a string, and a number would lose digits).

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v))
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_k, v) =>
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    typeof v.$bigint === 'string' &&
    Object.keys(v).length === 1
      ? BigInt(v.$bigint)
      : v,
  ) as T
}
