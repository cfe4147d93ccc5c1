/**
 * Untrusted text (a token's symbol, a string decoded from calldata) that a chat app would turn
 * into a link stays text: a zero-width space goes into `://` and into a dot between a letter or
 * digit and a letter (`claim.xyz`). Amounts (`1.5`) and addresses are left as they are.
 */
export const defang = (s: string): string =>
  s.replace(/:\/\//g, ':\u200b//').replace(/([A-Za-z0-9])\.(?=[A-Za-z])/g, '$1\u200b.')
