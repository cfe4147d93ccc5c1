import { type AbiEvent, type Address, decodeEventLog, type Hex, parseAbi, toEventSelector } from 'viem'
import { formatAbiItem } from 'viem/utils'

// Events custos decodes in simulated logs. Several share a topic0 but differ in which arguments
// are indexed (ERC20 vs ERC721 Transfer; Safe 1.3.0 vs 1.4.1 owner events), so every variant is
// listed and the one whose indexed count fits the log wins.
const EVENTS = parseAbi([
  // Safe
  'event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)',
  'event ExecutionSuccess(bytes32 txHash, uint256 payment)',
  'event ExecutionFailure(bytes32 indexed txHash, uint256 payment)',
  'event ExecutionFailure(bytes32 txHash, uint256 payment)',
  'event AddedOwner(address indexed owner)',
  'event AddedOwner(address owner)',
  'event RemovedOwner(address indexed owner)',
  'event RemovedOwner(address owner)',
  'event ChangedThreshold(uint256 threshold)',
  'event EnabledModule(address indexed module)',
  'event EnabledModule(address module)',
  'event DisabledModule(address indexed module)',
  'event DisabledModule(address module)',
  'event ChangedGuard(address indexed guard)',
  'event ChangedGuard(address guard)',
  'event ChangedModuleGuard(address indexed moduleGuard)',
  'event ChangedFallbackHandler(address indexed handler)',
  'event ChangedFallbackHandler(address handler)',
  'event ChangedMasterCopy(address singleton)',
  'event ApproveHash(bytes32 indexed approvedHash, address indexed owner)',
  'event SignMsg(bytes32 indexed msgHash)',
  'event SafeReceived(address indexed sender, uint256 value)',
  'event ExecutionFromModuleSuccess(address indexed module)',
  'event ExecutionFromModuleFailure(address indexed module)',
  'event SafeMultiSigTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures, bytes additionalInfo)',
  // Tokens
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)',
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
  'event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId)',
  'event ApprovalForAll(address indexed owner, address indexed operator, bool approved)',
  'event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value)',
  'event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values)',
  'event Deposit(address indexed dst, uint256 wad)',
  'event Withdrawal(address indexed src, uint256 wad)',
  // Ownership, roles, proxies
  'event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)',
  'event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner)',
  'event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)',
  'event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)',
  'event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)',
  'event Upgraded(address indexed implementation)',
  'event AdminChanged(address previousAdmin, address newAdmin)',
  'event BeaconUpgraded(address indexed beacon)',
  // Governance
  'event CallScheduled(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data, bytes32 predecessor, uint256 delay)',
  'event CallExecuted(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data)',
  'event Cancelled(bytes32 indexed id)',
  'event MinDelayChange(uint256 oldDuration, uint256 newDuration)',
])

const byTopic = new Map<Hex, AbiEvent[]>()
for (const e of EVENTS) {
  if (e.type !== 'event') continue
  const topic = toEventSelector(e)
  byTopic.set(topic, [...(byTopic.get(topic) ?? []), e])
}

export type DecodedEvent = { name: string; signature: string; args: Record<string, unknown> }

/** Decodes a log with the built-in event ABIs, or returns undefined. */
export function decodeLog(log: { address: Address; topics: Hex[]; data: Hex }): DecodedEvent | undefined {
  const [topic0] = log.topics
  if (!topic0) return undefined
  for (const event of byTopic.get(topic0.toLowerCase() as Hex) ?? []) {
    const indexed = event.inputs.filter((i) => i.indexed).length
    if (indexed !== log.topics.length - 1) continue
    try {
      const decoded = decodeEventLog({
        abi: [event],
        topics: log.topics as [Hex, ...Hex[]],
        data: log.data,
        strict: true,
      })
      return {
        name: event.name,
        signature: formatAbiItem(event),
        args: decoded.args as unknown as Record<string, unknown>,
      }
    } catch {
      // try the next variant
    }
  }
  return undefined
}
