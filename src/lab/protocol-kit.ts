import ProtocolKitModule from '@safe-global/protocol-kit'

// protocol-kit ships CommonJS-style typings with an ESM build: TypeScript sees the module object
// where Node gives the class itself. This adapter gives the rest of the lab the class.
export type ProtocolKit = InstanceType<typeof ProtocolKitModule.default>
export const Safe = ((ProtocolKitModule as unknown as { default?: unknown }).default ??
  ProtocolKitModule) as typeof ProtocolKitModule.default
export { buildContractSignature, buildSignatureBytes, EthSafeSignature } from '@safe-global/protocol-kit'
