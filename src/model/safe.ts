import { type Address, encodeFunctionData, type Hash, type Hex, parseAbi } from 'viem'

/** Safe `Enum.Operation`: 0 = CALL, 1 = DELEGATECALL. */
export type Operation = 0 | 1

/**
 * The operation a Safe transaction signs: a call's, or 2 = CREATE, which only Safes before 1.1.0
 * (0.1.0 and 1.0.0) accept. CREATE deploys `data` as init code from the Safe; `to` is unused.
 */
export type SafeOperation = Operation | 2

/** The fields a Safe owner signs (EIP-712 `SafeTx`), plus the Safe they are signed for. */
export type SafeTx = {
  safe: Address
  to: Address
  value: bigint
  data: Hex
  operation: SafeOperation
  safeTxGas: bigint
  /** Called `dataGas` before Safe 1.0.0; same position in the struct. */
  baseGas: bigint
  gasPrice: bigint
  gasToken: Address
  refundReceiver: Address
  nonce: bigint
}

/** A Safe contract version we know how to hash for, e.g. `1.4.1`, and whether it is the L2 flavour. */
export type SafeVersion = { version: string; l2: boolean }

/** The three values a signer compares on a hardware wallet screen. */
export type SafeHashes = { domainHash: Hash; messageHash: Hash; safeTxHash: Hash }

/** A confirmation as a transaction service reports it: never trusted, always recovered. */
export type Confirmation = { owner?: Address; signature: Hex; signatureType?: string }

/** What the chain says about a Safe at the time of the check. */
export type SafeState = {
  chainId: number
  version: string
  owners: Address[]
  threshold: bigint
  nonce: bigint
}

const execTransactionAbi = parseAbi([
  'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool)',
])

/** The calldata of the Safe's `execTransaction` for `tx` with the packed `signatures`. */
export const execTransactionData = (tx: SafeTx, signatures: Hex): Hex =>
  encodeFunctionData({
    abi: execTransactionAbi,
    functionName: 'execTransaction',
    args: [
      tx.to,
      tx.value,
      tx.data,
      tx.operation,
      tx.safeTxGas,
      tx.baseGas,
      tx.gasPrice,
      tx.gasToken,
      tx.refundReceiver,
      signatures,
    ],
  })
