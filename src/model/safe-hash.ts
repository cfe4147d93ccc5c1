import { type Address, concat, encodeAbiParameters, type Hash, type Hex, keccak256, toHex } from 'viem'
import type { SafeHashes, SafeTx } from './safe.js'
import { compareVersions } from './safe-version.js'

// The SafeTx struct is unchanged from 1.0.0 to 1.5.0; before 1.0.0 `baseGas` was called `dataGas`,
// which changes the type string and so the typehash.
const SAFE_TX_TYPE =
  'SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)'
const SAFE_TX_TYPE_PRE_1_0 =
  'SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 dataGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)'
// The domain gained chainId in 1.3.0; older Safes sign hashes that replay across chains.
const DOMAIN_TYPE_WITH_CHAIN = 'EIP712Domain(uint256 chainId,address verifyingContract)'
const DOMAIN_TYPE_NO_CHAIN = 'EIP712Domain(address verifyingContract)'

const typeHash = (type: string): Hash => keccak256(toHex(type))

export const safeTxTypeHash = (version: string): Hash =>
  typeHash(compareVersions(version, '1.0.0') < 0 ? SAFE_TX_TYPE_PRE_1_0 : SAFE_TX_TYPE)

export function domainHash(version: string, chainId: number, safe: Address): Hash {
  if (compareVersions(version, '1.3.0') < 0) {
    return keccak256(
      encodeAbiParameters([{ type: 'bytes32' }, { type: 'address' }], [typeHash(DOMAIN_TYPE_NO_CHAIN), safe]),
    )
  }
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }],
      [typeHash(DOMAIN_TYPE_WITH_CHAIN), BigInt(chainId), safe],
    ),
  )
}

export function messageHash(version: string, tx: SafeTx): Hash {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'address' },
        { type: 'uint256' },
        { type: 'bytes32' },
        { type: 'uint8' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint256' },
      ],
      [
        safeTxTypeHash(version),
        tx.to,
        tx.value,
        keccak256(tx.data),
        tx.operation,
        tx.safeTxGas,
        tx.baseGas,
        tx.gasPrice,
        tx.gasToken,
        tx.refundReceiver,
        tx.nonce,
      ],
    ),
  )
}

/** The 66 bytes `0x1901 ‖ domainHash ‖ messageHash` that are hashed into the safeTxHash. */
export const safeTxPreimage = (hashes: Pick<SafeHashes, 'domainHash' | 'messageHash'>): Hex =>
  concat(['0x1901', hashes.domainHash, hashes.messageHash])

export function safeTxHashes(version: string, chainId: number, tx: SafeTx): SafeHashes {
  const domain = domainHash(version, chainId, tx.safe)
  const message = messageHash(version, tx)
  return {
    domainHash: domain,
    messageHash: message,
    safeTxHash: keccak256(safeTxPreimage({ domainHash: domain, messageHash: message })),
  }
}
