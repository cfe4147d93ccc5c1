import { type Abi, decodeErrorResult, type Hex, parseAbi } from 'viem'
import { walk } from './errors.js'
import { sanitize } from './text.js'

// Safe's own error codes (GS0xx): `revert("GS013")` says little without the table.
export const SAFE_ERRORS: Readonly<Record<string, string>> = {
  GS000: 'could not finish initialization',
  GS001: 'threshold needs to be defined',
  GS002: 'a call to set up modules couldn\'t be executed (or "to" is not a contract)',
  GS010: 'not enough gas to execute the Safe transaction',
  GS011: 'could not pay gas costs with ether',
  GS012: 'could not pay gas costs with token',
  GS013: 'the Safe transaction failed and gasPrice and safeTxGas were 0',
  GS020: 'signatures data too short',
  GS021: 'invalid contract signature location: inside static part',
  GS022: 'invalid contract signature location: length not present',
  GS023: 'invalid contract signature location: data not complete',
  GS024: 'invalid contract signature provided',
  GS025: 'hash has not been approved',
  GS026: 'invalid owner provided (signatures not from owners, or not in ascending order)',
  GS030: 'only owners can approve a hash',
  GS031: 'method can only be called from this contract',
  GS100: 'modules have already been initialized',
  GS101: 'invalid module address provided',
  GS102: 'module has already been added',
  GS103: 'invalid prevModule, module pair provided',
  GS104: 'method can only be called from an enabled module',
  GS105: 'invalid starting point for fetching paginated modules',
  GS106: 'invalid page size for fetching paginated modules',
  GS200: 'owners have already been set up',
  GS201: 'threshold cannot exceed owner count',
  GS202: 'threshold needs to be greater than 0',
  GS203: 'invalid owner address provided',
  GS204: 'address is already an owner',
  GS205: 'invalid prevOwner, owner pair provided',
  GS300: 'guard does not implement IERC165',
  GS301: 'module guard does not implement IERC165',
  GS400: 'fallback handler cannot be set to self',
}

// Common custom errors (OpenZeppelin 5.x and friends); unknown ones are shown by selector.
const KNOWN_ERRORS: Abi = parseAbi([
  'error Error(string)',
  'error Panic(uint256)',
  'error OwnableUnauthorizedAccount(address account)',
  'error OwnableInvalidOwner(address owner)',
  'error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  'error ERC20InvalidReceiver(address receiver)',
  'error ERC721NonexistentToken(uint256 tokenId)',
  'error ERC721InsufficientApproval(address operator, uint256 tokenId)',
  'error SafeERC20FailedOperation(address token)',
  'error ReentrancyGuardReentrantCall()',
  'error EnforcedPause()',
  'error TimelockUnexpectedOperationState(bytes32 operationId, bytes32 expectedStates)',
  'error TimelockUnauthorizedCaller(address caller)',
  'error GovernorUnexpectedProposalState(uint256 proposalId, uint8 current, bytes32 expectedStates)',
  // The custos Guard's refusals of a Safe transaction (contracts/CustosGuard.sol).
  'error NotAllowed(bytes32 safeTxHash)',
  'error CancelledTx(bytes32 safeTxHash)',
  'error GuardChangeNotCleared(address safe)',
  'error ReconfigureNotCleared(address safe)',
  'error HookMismatch(address safe)',
  'error ModuleNotAllowed(address module, bytes32 callHash)',
  'error DelegateCallForbidden()',
])

const PANICS: Record<number, string> = {
  1: 'assertion failed',
  17: 'arithmetic overflow or underflow',
  18: 'division by zero',
  33: 'invalid enum value',
  49: 'pop on an empty array',
  50: 'array index out of bounds',
  65: 'out of memory',
  81: 'call to an uninitialised function',
}

/** A revert payload in words: Error(string) with GS codes named, Panic codes, known custom errors. */
export function decodeRevert(data: Hex | undefined): string | undefined {
  const text = decodeRevertRaw(data)
  return text === undefined ? undefined : sanitize(text)
}

function decodeRevertRaw(data: Hex | undefined): string | undefined {
  if (!data || data === '0x') return undefined
  try {
    const decoded = decodeErrorResult({ abi: KNOWN_ERRORS, data })
    if (decoded.errorName === 'Error') {
      const message = String(decoded.args?.[0] ?? '')
      const gs = SAFE_ERRORS[message]
      return gs ? `${message}: ${gs}` : message
    }
    if (decoded.errorName === 'Panic') {
      const code = Number(decoded.args?.[0] ?? 0)
      return `Panic(0x${code.toString(16)}): ${PANICS[code] ?? 'unknown panic'}`
    }
    const args = (decoded.args ?? []).map((a) => String(a)).join(', ')
    return `${decoded.errorName}(${args})`
  } catch {
    return data.length >= 10
      ? `custom error ${data.slice(0, 10)} (${(data.length - 2) / 2} bytes)`
      : `revert data ${data}`
  }
}

/**
 * The decoded revert somewhere in an error's chain of causes (a node's answer to an estimate or a
 * call carries the revert payload as `data`), or undefined when none of them carries one.
 */
export function revertOf(error: unknown): string | undefined {
  const carrier = walk(error, (e) => {
    const data = (e as { data?: unknown } | null)?.data
    return typeof data === 'string' && /^0x(?:[0-9a-fA-F]{2}){4,}$/.test(data)
  }) as { data: Hex } | undefined
  return carrier ? decodeRevert(carrier.data) : undefined
}
