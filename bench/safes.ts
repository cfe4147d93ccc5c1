import { type Address, encodeFunctionData, parseAbi, parseEventLogs, zeroAddress } from 'viem'
import type { Lab } from '../src/lab/index.js'

const factoryAbi = parseAbi([
  'function createProxyWithNonce(address _singleton, bytes initializer, uint256 saltNonce) returns (address)',
  'event ProxyCreation(address indexed proxy, address singleton)',
])
const setupAbi = parseAbi([
  'function setup(address[] _owners, uint256 _threshold, address to, bytes data, address fallbackHandler, address paymentToken, uint256 payment, address paymentReceiver)',
])

/** Many Safes quickly, straight through the proxy factory (the bench needs a thousand). */
export async function createSafes(
  lab: Lab,
  owners: Address[],
  threshold: number,
  count: number,
): Promise<Address[]> {
  const initializer = encodeFunctionData({
    abi: setupAbi,
    functionName: 'setup',
    args: [
      owners,
      BigInt(threshold),
      zeroAddress,
      '0x',
      lab.contracts.fallbackHandler,
      zeroAddress,
      0n,
      zeroAddress,
    ],
  })
  const deployer = lab.accounts[0]?.address as Address
  const out: Address[] = []
  for (let i = 0; i < count; i++) {
    const hash = await lab.wallet.writeContract({
      account: deployer,
      chain: null,
      address: lab.contracts.proxyFactory,
      abi: factoryAbi,
      functionName: 'createProxyWithNonce',
      args: [lab.contracts.safe, initializer, BigInt(1_000_000 + i)],
    })
    const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 5 })
    const [created] = parseEventLogs({ abi: factoryAbi, logs: receipt.logs, eventName: 'ProxyCreation' })
    if (!created) throw new Error('bench: Safe creation failed')
    out.push(created.args.proxy)
  }
  return out
}
